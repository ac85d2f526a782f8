"""Asset builders: one asset per SIS table, streamed to the landing IO manager.

Each materialization records a probe (row count and highest cursor value of what it
loaded, per partition), which the change sensor compares with the source.
"""

from collections.abc import Iterable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, Output, asset

from teamster.core.changes import source_metadata
from teamster.core.io_managers import Extract
from teamster.core.landing import LandedFile
from teamster.core.naming import dataset_for, key_for_relation
from teamster.core.resources import WAREHOUSE_POOL
from teamster.libraries.powerschool.sis.config import SISConfig, SISTable
from teamster.libraries.powerschool.sis.resources import SISSource, render_cursor, select_table
from teamster.libraries.powerschool.sis.schema import arrow_schema

GROUP = "powerschool_sis"


def table_key(location: str, table: SISTable) -> AssetKey:
    """``<region>_powerschool.<table>``: what a SIS table lands as."""
    return key_for_relation(dataset_for(location, "powerschool"), table.name)


def build_sis_assets(location: str, config: SISConfig) -> list[AssetsDefinition]:
    """Assets for the configured tables of ``location``'s SIS, over SQL or SFTP drops.

    The resource under ``powerschool_sis`` is a ``PowerSchoolSIS`` (sql) or ``SISDrop``
    (sftp); either way the landed table has the declared columns and types.
    """
    if config.path == "sftp" and any(t.partition_column for t in config.tables):
        raise ValueError(f"{location}: SFTP drops hold whole tables; they cannot be partitioned")
    return [_table_asset(location, table, config) for table in config.tables]


class _CursorMax:
    """Passes batches through, remembering the highest value of one column."""

    def __init__(self, column: str | None):
        self.column = column
        self.value = None

    def watch(self, batches: Iterable[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            if self.column is not None and batch.num_rows:
                top = pc.max(batch.column(self.column)).as_py()
                if top is not None and (self.value is None or top > self.value):
                    self.value = top
            yield batch


def _table_asset(location: str, table: SISTable, config: SISConfig) -> AssetsDefinition:
    dataset = dataset_for(location, "powerschool")
    key = key_for_relation(dataset, table.name)
    how = "SQL through the SSH tunnel" if config.path == "sql" else "CSV drops on SFTP"
    partitions = config.partitions(table)

    @asset(
        key=key,
        group_name=GROUP,
        kinds={"powerschool", "parquet"},
        pool=WAREHOUSE_POOL,
        partitions_def=partitions,
        description=f"PowerSchool SIS `{table.name}` for {location}, read by {how}"
        + (
            f", in {table.partition_grain.replace('_', '-')} partitions of "
            f"`{table.partition_column}`."
            if partitions
            else "."
        ),
        metadata={"cursor": table.cursor or "none (nightly reload)"},
    )
    def _asset(context: AssetExecutionContext, powerschool_sis: SISSource) -> Output[Extract]:
        schema = arrow_schema(table.name)
        source = powerschool_sis
        partition = config.window(table, context.partition_key) if partitions else None
        tracker = _CursorMax(table.cursor)

        def probe(landed: LandedFile) -> dict[str, object]:
            return {"probe/count": landed.rows, "probe/cursor": render_cursor(tracker.value)}

        if config.path == "sql":

            def rows() -> Iterator[pa.RecordBatch]:
                # the tunnel stays open while the IO manager lands the stream
                with source.session() as session:
                    yield from session.stream(select_table(table.name, partition), schema)

            return Output(Extract(schema, tracker.watch(rows()), partition, probe))
        drop = source.fetch(table.name)
        return Output(
            Extract(schema, tracker.watch(drop.table.to_batches()), after_load=probe),
            metadata=source_metadata(drop.file),
        )

    return _asset
