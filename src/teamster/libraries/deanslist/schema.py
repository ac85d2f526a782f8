"""What DeansList sends, typed: the fields of each endpoint (with the JSON types and
formats the vendor uses), and the strict conversion of a page of rows to Arrow.

A missing field or a value of the wrong type fails the load naming the school, the
window, the row and the field; DeansList's date objects carry their own zone and become
UTC, its plain-text times are read in the region's time zone. A time that states its
own offset (``-04:00``, ``Z``) is placed by that offset, never read as local time."""

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from teamster.core.arrow_types import ARROW_TYPES, INTEGER
from teamster.libraries.deanslist.config import DeansListConfig
from teamster.libraries.deanslist.resources import (
    DeansListError,
)


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
# PHP's DateTime as JSON: "2026-10-05 11:23:00.000000"; plain text drops the fraction;
# an ISO offset or Z at the end, if there is one, says where the clock was
_MOMENT = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[ T]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]{1,6})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)
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


def _moment(text: Any, zone: dt.tzinfo) -> dt.datetime:
    """A time as an aware datetime: on ``zone``'s clock unless it states an offset."""
    match = _MOMENT.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise BadValue("a time YYYY-MM-DD HH:MM:SS")
    offset = match[4].replace("Z", "+00:00") if match[4] else ""
    try:
        moment = dt.datetime.fromisoformat(f"{match[1]} {match[2]}{match[3] or ''}{offset}")
    except ValueError:
        raise BadValue("a time YYYY-MM-DD HH:MM:SS") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=zone)


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


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


def _date_object_moment(value: Any) -> dt.datetime | None:
    """A date object's time on its own zone's clock (aware), or None."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise BadValue("a date object {date, timezone_type, timezone}")
    if value.get("date") is None:
        return None
    zone = _object_zone(value)
    return _moment(value.get("date"), zone).astimezone(zone)


def _date_object(value: Any, zone: ZoneInfo) -> dt.datetime | None:
    moment = _date_object_moment(value)
    return None if moment is None else _utc(moment)


def _date_object_day(value: Any, zone: ZoneInfo) -> dt.date | None:
    moment = _date_object_moment(value)
    return None if moment is None else moment.date()


def _local_time(value: Any, zone: ZoneInfo) -> dt.datetime | None:
    if value is None or value == "":
        return None
    return _utc(_moment(value, zone))


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
