"""DeansList assets: ``<region>_deanslist.incidents`` and ``<region>_deanslist.behavior``.

Each asset calls its endpoint once per school of the region (each school has its own
key), converts every row to the declared Arrow schema, and lands all schools' rows as
one Parquet file that replaces the whole table in one load. A failure at any school
(an answer that does not parse, a refused key, a burst longer than the retries)
lands nothing, so the table keeps its previous good state.
"""

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, asset

from teamster.core.io_managers import Extract
from teamster.core.naming import dataset_for, key_for_relation
from teamster.core.resources import WAREHOUSE_POOL
from teamster.libraries.deanslist.client import ENDPOINTS, DeansListError
from teamster.libraries.deanslist.config import DeansListConfig

RESOURCE_KEY = "deanslist"
GROUP = "deanslist"
INTEGRATION = "deanslist"

ARROW_TYPES = {
    "int64": pa.int64(),
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}


@dataclass(frozen=True)
class Column:
    name: str  # in the warehouse
    field: str  # in the API's JSON
    kind: str  # a key of ARROW_TYPES
    required: bool = False  # null or absent is an error


COLUMNS: dict[str, list[Column]] = {
    "incidents": [
        Column("incident_id", "IncidentID", "int64", required=True),
        Column("student_school_id", "StudentSchoolID", "string"),
        Column("school_id", "SchoolID", "int64", required=True),
        Column("incident_date", "IncidentDate", "date"),
        Column("create_ts", "CreateTS", "timestamp"),
        Column("update_ts", "UpdateTS", "timestamp"),
        Column("category", "Category", "string"),
        Column("infraction", "Infraction", "string"),
        Column("status", "Status", "string"),
        Column("location", "Location", "string"),
    ],
    "behavior": [
        Column("dlsaid", "DLSAID", "int64", required=True),
        Column("student_school_id", "StudentSchoolID", "string"),
        Column("school_id", "SchoolID", "int64", required=True),
        Column("behavior_date", "BehaviorDate", "date"),
        Column("behavior", "Behavior", "string"),
        Column("behavior_category", "BehaviorCategory", "string"),
        Column("point_value", "PointValue", "int64"),
    ],
}
DESCRIPTIONS = {
    "incidents": "DeansList incidents (one row per incident: student, category, "
    "infraction, status, dates) of every school in {location}.",
    "behavior": "DeansList behaviour entries (one row per logged behaviour, with its "
    "category and point value) of every school in {location}.",
}


def arrow_schema(endpoint: str) -> pa.Schema:
    return pa.schema([(c.name, ARROW_TYPES[c.kind]) for c in COLUMNS[endpoint]])


_INT = re.compile(r"-?[0-9]+")


def _convert(value: Any, kind: str) -> Any:
    """One JSON value as the column's Python value; ValueError when it is not one."""
    if isinstance(value, dict) and "date" in value:  # DeansList's {"date": ..., "timezone": ...}
        value = value["date"]
    if value is None or value == "":
        return None
    if kind == "int64":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INT.fullmatch(value.strip()):
            return int(value)
    elif kind == "string":
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
    elif kind == "date" and isinstance(value, str):
        return dt.date.fromisoformat(value[:10] if len(value) > 10 else value)
    elif kind == "timestamp" and isinstance(value, str):
        return dt.datetime.fromisoformat(value).replace(tzinfo=None)
    raise ValueError(value)


def to_batch(endpoint: str, school: int, rows: list[dict[str, Any]]) -> pa.RecordBatch:
    """API rows as a batch of the declared schema; the error names school, row and field."""
    columns = COLUMNS[endpoint]
    values: list[list[Any]] = [[] for _ in columns]
    ident = columns[0]
    for i, row in enumerate(rows, start=1):
        where = f"DeansList {ENDPOINTS[endpoint]} for school {school}, row {i}"
        if not isinstance(row, dict):
            raise DeansListError(f"{where}: not a JSON object")
        where += f" ({ident.field} {row.get(ident.field)!r})"
        for column, out in zip(columns, values, strict=True):
            if column.field not in row:
                raise DeansListError(f"{where}: field {column.field!r} is missing")
            raw = row[column.field]
            try:
                value = _convert(raw, column.kind)
            except ValueError:
                raise DeansListError(
                    f"{where}, field {column.field!r}: {raw!r} is not a valid {column.kind}"
                ) from None
            if value is None and column.required:
                raise DeansListError(f"{where}, field {column.field!r}: is empty")
            out.append(value)
    schema = arrow_schema(endpoint)
    return pa.record_batch(
        [pa.array(v, type=f.type) for v, f in zip(values, schema, strict=True)], schema=schema
    )


def asset_key(location: str, endpoint: str) -> AssetKey:
    return key_for_relation(dataset_for(location, INTEGRATION), endpoint)


def build_deanslist_assets(location: str, config: DeansListConfig) -> list[AssetsDefinition]:
    """The incidents and behaviour assets of ``location``'s configured schools."""
    return [_endpoint_asset(location, endpoint, config) for endpoint in COLUMNS]


def _endpoint_asset(location: str, endpoint: str, config: DeansListConfig) -> AssetsDefinition:
    key = asset_key(location, endpoint)
    schema = arrow_schema(endpoint)

    @asset(
        key=key,
        group_name=GROUP,
        kinds={"deanslist", "parquet"},
        pool=WAREHOUSE_POOL,
        required_resource_keys={RESOURCE_KEY},
        description=DESCRIPTIONS[endpoint].format(location=location)
        + " Reloaded whole: every school's rows replace the table in one load.",
        metadata={"schools": ", ".join(str(s) for s in config.schools)},
    )
    def _asset(context: AssetExecutionContext) -> Extract:
        by_school: dict[str, int] = {}
        api = getattr(context.resources, RESOURCE_KEY)

        def batches() -> Iterator[pa.RecordBatch]:
            with api.connect(config.schools) as session:
                for school in config.schools:
                    rows = session.rows(endpoint, school)
                    by_school[str(school)] = len(rows)
                    context.log.info(f"{endpoint}: {len(rows)} rows for school {school}")
                    yield to_batch(endpoint, school, rows)

        return Extract(schema, batches(), after_load=lambda _: {"rows_by_school": by_school})

    return _asset
