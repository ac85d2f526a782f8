"""Asset builders: one asset per SIS table, landing Parquet and loading the warehouse."""

from collections.abc import Sequence
from typing import Literal

from dagster import AssetExecutionContext, AssetsDefinition, MaterializeResult, asset

from teamster.core.naming import dataset_for, key_for_relation
from teamster.core.resources import WAREHOUSE_POOL
from teamster.libraries.powerschool.sis.queries import select_table
from teamster.libraries.powerschool.sis.tables import arrow_schema, columns

RESOURCE_KEY = "powerschool_sis"
Path_ = Literal["sql", "sftp"]


def build_sis_assets(location: str, tables: Sequence[str], path: Path_) -> list[AssetsDefinition]:
    """Assets for ``tables`` of ``location``'s SIS, read over SQL or from SFTP drops.

    The resource under ``powerschool_sis`` is a ``PowerSchoolSIS`` (sql) or ``SISDrop``
    (sftp); either way the landed table has the declared columns and types.
    """
    if path not in ("sql", "sftp"):
        raise ValueError(f"unknown SIS path {path!r} for {location}")
    return [_table_asset(location, table, path) for table in tables]


def _table_asset(location: str, table: str, path: Path_) -> AssetsDefinition:
    columns(table)  # fail at load for an undeclared table
    dataset = dataset_for(location, "powerschool")
    key = key_for_relation(dataset, table)
    how = "SQL through the SSH tunnel" if path == "sql" else "CSV drops on SFTP"

    @asset(
        key=key,
        group_name="powerschool_sis",
        kinds={"powerschool", "parquet"},
        pool=WAREHOUSE_POOL,
        required_resource_keys={RESOURCE_KEY, "landing", "warehouse"},
        description=f"PowerSchool SIS `{table}` for {location}, read by {how}.",
    )
    def _asset(context: AssetExecutionContext) -> MaterializeResult:
        schema = arrow_schema(table)
        source = getattr(context.resources, RESOURCE_KEY)
        landing = context.resources.landing
        if path == "sql":
            with source.session() as session:
                landed = landing.write(key, schema, session.stream(select_table(table), schema))
        else:
            landed = landing.write(key, schema, source.fetch(table).to_batches())
        context.resources.warehouse.replace(dataset, table, landed)
        return MaterializeResult(
            metadata={
                "dagster/row_count": landed.rows,
                "landed_uri": landed.uri,
                "landed_bytes": landed.bytes,
                "table": f"{dataset}.{table}",
            }
        )

    return _asset
