"""DeansList assets: ``<region>_deanslist.incidents`` and ``<region>_deanslist.behavior``.

Both are partitioned by fiscal year (July 1). A partition reads every configured
DeansList school (each with its own key) in date windows: incidents a month at a time
(their endpoint is not paged, so a window bounds the answer) with the deleted ones
(``IncludeDeleted=Y``), behaviour the whole year in pages. Every row is typed against
the fields below (a bad value names school, window, row and field), its DeansList
school id is translated to the PowerSchool school number through the region's
crosswalk (an id the crosswalk lacks fails the load, naming it), and all rows land as
one Parquet file that replaces exactly that fiscal year's rows. A failure anywhere
lands nothing, so the table keeps its previous good state.

What each landed column is, beside the vendor's field it comes from:
  - timestamps are UTC; an incident's date objects carry their own zone, behaviour's
    plain-text ``DL_LASTUPDATE`` is in the region's configured zone;
  - ``issue_date`` is the incident's day on the school's clock (``IssueTS``'s own date);
  - ``school_number`` is the crosswalk's, ``is_deleted`` says the row came in
    ``deleted_data``, ``fiscal_year`` (the fall year) is the partition that read it.
"""

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, asset

from teamster.core.arrow_types import ARROW_TYPES, INTEGER
from teamster.core.io_managers import Extract
from teamster.core.naming import dataset_for, key_for_relation
from teamster.core.partitions import Partition, by_value, fiscal_year_partitions
from teamster.core.resources import WAREHOUSE_POOL
from teamster.libraries.deanslist.client import (
    ENDPOINTS,
    DeansListError,
    DeansListSession,
    Window,
)
from teamster.libraries.deanslist.config import DeansListConfig

RESOURCE_KEY = "deanslist"
GROUP = "deanslist"
INTEGRATION = "deanslist"


@dataclass(frozen=True)
class Field:
    """A landed column read from one field of the API's JSON."""

    name: str  # in the warehouse
    field: str  # in the API's JSON
    read: str  # a key of READERS: how the value is parsed
    required: bool = False  # null or absent is an error

    @property
    def kind(self) -> str:
        return READERS[self.read][0]


# The fields each endpoint lands, and the columns it adds after them (see the docstring).
FIELDS: dict[str, list[Field]] = {
    "incidents": [
        Field("incident_id", "IncidentID", "int", required=True),
        Field("school_id", "SchoolID", "int", required=True),
        Field("student_id", "StudentID", "int"),
        Field("student_school_id", "StudentSchoolID", "text"),
        Field("category", "Category", "text"),
        Field("category_id", "CategoryID", "int"),
        Field("infraction", "Infraction", "text"),
        Field("infraction_type_id", "InfractionTypeID", "int"),
        Field("location", "Location", "text"),
        Field("location_id", "LocationID", "int"),
        Field("status", "Status", "text"),
        Field("status_id", "StatusID", "int"),
        Field("is_active", "IsActive", "bool", required=True),
        Field("is_referral", "IsReferral", "bool"),
        Field("issue_ts", "IssueTS", "date_object", required=True),
        Field("issue_date", "IssueTS", "date_object_day", required=True),
        Field("create_ts", "CreateTS", "date_object", required=True),
        Field("update_ts", "UpdateTS", "date_object"),
        Field("close_ts", "CloseTS", "date_object"),
        Field("dl_last_update", "DL_LASTUPDATE", "date_object"),
    ],
    "behavior": [
        Field("dlsaid", "DLSAID", "int", required=True),
        Field("behavior_id", "BehaviorID", "int"),
        Field("dl_school_id", "DLSchoolID", "int", required=True),
        Field("dl_student_id", "DLStudentID", "int"),
        Field("student_school_id", "StudentSchoolID", "text"),
        Field("behavior_date", "BehaviorDate", "day", required=True),
        Field("behavior", "Behavior", "text"),
        Field("behavior_category", "BehaviorCategory", "text"),
        Field("point_value", "PointValue", "int"),
        Field("roster", "Roster", "text"),
        Field("roster_id", "RosterID", "int"),
        Field("dl_last_update", "DL_LASTUPDATE", "local_time"),
    ],
}
# the field holding a row's DeansList school id, translated through the crosswalk
SCHOOL_FIELD = {"incidents": "SchoolID", "behavior": "DLSchoolID"}
DERIVED: dict[str, list[tuple[str, pa.DataType]]] = {
    "incidents": [
        ("school_number", pa.int64()),
        ("is_deleted", pa.bool_()),
        ("fiscal_year", pa.int64()),
    ],
    "behavior": [("school_number", pa.int64()), ("fiscal_year", pa.int64())],
}
DESCRIPTIONS = {
    "incidents": "DeansList incidents (one row per incident: student, category, "
    "infraction, status, when issued, entered, changed and closed; deleted ones flagged "
    "`is_deleted`) of every school in {location}.",
    "behavior": "DeansList behaviour entries (one row per logged behaviour, with its "
    "category and point value) of every school in {location}.",
}


def arrow_schema(endpoint: str) -> pa.Schema:
    fields = [(f.name, ARROW_TYPES[f.kind]) for f in FIELDS[endpoint]]
    return pa.schema(fields + DERIVED[endpoint])


# --- reading one JSON value ---------------------------------------------------------------

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# PHP's DateTime as JSON: "2026-10-05 11:23:00.000000"; plain text drops the fraction
_MOMENT = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}) ([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]{1,6})?")
_OFFSET = re.compile(r"([+-])([0-9]{2}):([0-9]{2})")


class BadValue(ValueError):
    """A value that is not what its field holds; the message says what was expected."""


def _text(value: Any, zone: ZoneInfo) -> str | None:
    if isinstance(value, str):
        return value or None  # DeansList writes "" for a value it has not got
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise BadValue("text")


def _int(value: Any, zone: ZoneInfo) -> int | None:
    if value == "":
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and INTEGER.fullmatch(value.strip()):
        return int(value)
    raise BadValue("a whole number")


def _bool(value: Any, zone: ZoneInfo) -> bool | None:
    if isinstance(value, bool):
        return value
    raise BadValue("true or false")


def _day(value: Any, zone: ZoneInfo) -> dt.date | None:
    if value == "":
        return None
    if isinstance(value, str) and _DAY.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise BadValue("a date YYYY-MM-DD")


def _wall_clock(text: Any) -> dt.datetime:
    match = _MOMENT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise BadValue("a time YYYY-MM-DD HH:MM:SS")
    try:
        return dt.datetime.fromisoformat(f"{match[1]} {match[2]}{match[3] or ''}")
    except ValueError:
        raise BadValue("a time YYYY-MM-DD HH:MM:SS") from None


def _to_utc(local: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    return local.replace(tzinfo=zone).astimezone(dt.UTC).replace(tzinfo=None)


def _object_zone(value: Mapping[str, Any]) -> dt.tzinfo:
    """The zone of a date object: type 3 names it, type 1 gives an offset; type 2 (an
    abbreviation such as EST) cannot be placed reliably, so it is refused."""
    kind, name = value.get("timezone_type"), value.get("timezone")
    if kind == 3 and isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ValueError, KeyError):
            raise BadValue(f"a known time zone, not {name!r}") from None
    if kind == 1 and isinstance(name, str) and (m := _OFFSET.fullmatch(name)):
        sign = -1 if m[1] == "-" else 1
        return dt.timezone(sign * dt.timedelta(hours=int(m[2]), minutes=int(m[3])))
    raise BadValue("a time zone of type 3 (a tz name) or 1 (an offset)")


def _date_object_moment(value: Any) -> tuple[dt.datetime, dt.tzinfo] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise BadValue("a date object {date, timezone_type, timezone}")
    if value.get("date") is None:
        return None
    return _wall_clock(value.get("date")), _object_zone(value)


def _date_object(value: Any, zone: ZoneInfo) -> dt.datetime | None:
    moment = _date_object_moment(value)
    return None if moment is None else _to_utc(*moment)


def _date_object_day(value: Any, zone: ZoneInfo) -> dt.date | None:
    moment = _date_object_moment(value)
    return None if moment is None else moment[0].date()


def _local_time(value: Any, zone: ZoneInfo) -> dt.datetime | None:
    if value is None or value == "":
        return None
    return _to_utc(_wall_clock(value), zone)


# read name -> (Arrow kind, parser); a parser gets the value and the region's zone
READERS: dict[str, tuple[str, Callable[[Any, ZoneInfo], Any]]] = {
    "text": ("string", _text),
    "int": ("int64", _int),
    "bool": ("bool", _bool),
    "day": ("date", _day),
    "date_object": ("timestamp", _date_object),
    "date_object_day": ("date", _date_object_day),
    "local_time": ("timestamp", _local_time),
}


# --- rows to a batch ------------------------------------------------------------------------


def to_batch(
    endpoint: str,
    rows: list[Any],
    *,
    where: str,
    config: DeansListConfig,
    fiscal_year: int,
    deleted: bool = False,
) -> pa.RecordBatch:
    """API rows as a batch of the declared schema. ``where`` names the call (school,
    window); an error adds the row, its id and the field."""
    fields = FIELDS[endpoint]
    zone = ZoneInfo(config.timezone)
    crosswalk = config.crosswalk
    school_field = SCHOOL_FIELD[endpoint]
    values: dict[str, list[Any]] = {name: [] for name in arrow_schema(endpoint).names}
    ident = fields[0].field
    for i, row in enumerate(rows, start=1):
        at = f"{where}, {'deleted ' if deleted else ''}row {i}"
        if not isinstance(row, Mapping):
            raise DeansListError(f"{at}: not a JSON object")
        at += f" ({ident} {row.get(ident)!r})"
        parsed: dict[str, Any] = {}
        for f in fields:
            if f.field not in row:
                raise DeansListError(f"{at}: field {f.field!r} is missing")
            raw = row[f.field]
            try:
                value = None if raw is None else READERS[f.read][1](raw, zone)
            except BadValue as e:
                raise DeansListError(f"{at}, field {f.field!r}: {_shown(raw)} is not {e}") from None
            if value is None and f.required:
                raise DeansListError(f"{at}, field {f.field!r}: is empty")
            parsed[f.name] = value
            values[f.name].append(value)
        school = parsed[next(f.name for f in fields if f.field == school_field)]
        if school not in crosswalk:
            raise DeansListError(
                f"{at}, field {school_field!r}: DeansList school {school} is not in the "
                f"crosswalk ({config.source}, `schools`); add it with its PowerSchool "
                "school number, then load again"
            )
        values["school_number"].append(crosswalk[school])
        values["fiscal_year"].append(fiscal_year)
        if "is_deleted" in values:
            values["is_deleted"].append(deleted)
    schema = arrow_schema(endpoint)
    return pa.record_batch([pa.array(values[f.name], type=f.type) for f in schema], schema=schema)


def _shown(raw: Any) -> str:
    text = repr(raw)
    return text if len(text) <= 120 else text[:117] + "..."


# --- windows and assets ---------------------------------------------------------------------


def fall_year(partition_key: str) -> int:
    """The fall year of a fiscal-year partition key (``2026-07-01`` -> 2026)."""
    start = dt.date.fromisoformat(partition_key)
    if (start.month, start.day) != (7, 1):
        raise ValueError(f"{partition_key!r} is not a fiscal-year partition key")
    return start.year


def months(year: int) -> list[Window]:
    """The twelve calendar months of fiscal year ``year`` (July to June)."""
    out = []
    for k in range(12):
        y, m = year + (6 + k) // 12, (6 + k) % 12 + 1
        out.append(Window(dt.date(y, m, 1), dt.date(y, m, calendar.monthrange(y, m)[1])))
    return out


def whole_year(year: int) -> list[Window]:
    return [Window(dt.date(year, 7, 1), dt.date(year + 1, 6, 30))]


def partition_for(key: str) -> Partition:
    """The rows a fiscal-year partition holds: those its windows read."""
    return by_value("fiscal_year", key, "fiscal_year", fall_year(key))


def asset_key(location: str, endpoint: str) -> AssetKey:
    return key_for_relation(dataset_for(location, INTEGRATION), endpoint)


def build_deanslist_assets(location: str, config: DeansListConfig) -> list[AssetsDefinition]:
    """The incidents and behaviour assets of ``location``'s configured schools."""
    return [_endpoint_asset(location, endpoint, config) for endpoint in FIELDS]


def _reads(
    endpoint: str, session: DeansListSession, school: int, year: int, config: DeansListConfig
) -> Iterator[tuple[Window, list[Any], bool]]:
    """(window, rows, deleted?) for every call one school's fiscal year takes."""
    if endpoint == "incidents":
        for window in months(year):
            got = session.incidents(school, window)
            yield window, got.live, False
            yield window, got.deleted, True
    else:
        for window in whole_year(year):
            yield window, session.behavior(school, window, config.behavior_page_size), False


def _endpoint_asset(location: str, endpoint: str, config: DeansListConfig) -> AssetsDefinition:
    key = asset_key(location, endpoint)
    schema = arrow_schema(endpoint)
    ident = FIELDS[endpoint][0]

    @asset(
        key=key,
        group_name=GROUP,
        kinds={"deanslist", "parquet"},
        pool=WAREHOUSE_POOL,
        partitions_def=fiscal_year_partitions(config.first_fiscal_year, config.timezone),
        required_resource_keys={RESOURCE_KEY},
        description=DESCRIPTIONS[endpoint].format(location=location)
        + " One partition per fiscal year: each load replaces exactly that year's rows.",
        metadata={"deanslist_schools": ", ".join(str(s) for s in config.school_ids)},
    )
    def _asset(context: AssetExecutionContext) -> Extract:
        year = fall_year(context.partition_key)
        by_school: dict[str, int] = {}
        deleted_rows = 0
        api = getattr(context.resources, RESOURCE_KEY)

        def batches() -> Iterator[pa.RecordBatch]:
            nonlocal deleted_rows
            seen: dict[int, str] = {}
            with api.connect(config.school_ids) as session:
                for school in config.school_ids:
                    by_school[str(school)] = 0
                    for window, rows, deleted in _reads(endpoint, session, school, year, config):
                        where = f"DeansList {ENDPOINTS[endpoint]} for school {school}, {window}"
                        batch = to_batch(
                            endpoint,
                            rows,
                            where=where,
                            config=config,
                            fiscal_year=year,
                            deleted=deleted,
                        )
                        for row_id in batch.column(ident.name).to_pylist():
                            if row_id in seen:
                                raise DeansListError(
                                    f"{where}: {ident.field} {row_id} came twice (first in "
                                    f"{seen[row_id]}); the windows overlap or the data moved"
                                )
                            seen[row_id] = where
                        by_school[str(school)] += batch.num_rows
                        deleted_rows += batch.num_rows if deleted else 0
                        yield batch
                    context.log.info(
                        f"{endpoint} {year}: {by_school[str(school)]} rows for DeansList "
                        f"school {school}"
                    )

        def metadata(_: Any) -> dict[str, Any]:
            out: dict[str, Any] = {"rows_by_deanslist_school": by_school}
            if endpoint == "incidents":
                out["deleted_rows"] = deleted_rows
            return out

        return Extract(schema, batches(), partition_for(context.partition_key), after_load=metadata)

    return _asset
