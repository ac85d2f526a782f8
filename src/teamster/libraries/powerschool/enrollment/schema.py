"""What PowerSchool Enrollment's API sends, typed: the fields of a published action and of
a submission record (with the JSON types the API uses), and the strict conversion of a
page of them to Arrow. A missing field or a value of the wrong type fails the load,
naming the page, the row and the field."""

import datetime as dt
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from teamster.libraries.powerschool.enrollment.resources import (
    EnrollmentError,
    records_path,
)


class BadValue(ValueError):
    """A value that is not what its field holds; the message says what was expected."""


_MOMENT = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,7})?)?)?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})?"
)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    raise BadValue("text")


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise BadValue("a whole number")


def _moment(value: Any) -> dt.datetime:
    """An API time: ISO 8601, UTC when it names no zone; seconds' fractions beyond
    microseconds (.NET writes seven digits) are cut."""
    if not isinstance(value, str) or not _MOMENT.fullmatch(value):
        raise BadValue("a time YYYY-MM-DDTHH:MM:SS")
    text = re.sub(r"(\.[0-9]{6})[0-9]+", r"\1", value).replace("Z", "+00:00")
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadValue("a time YYYY-MM-DDTHH:MM:SS") from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def _day(value: Any) -> dt.date:
    """A date written as a date or as midnight of it."""
    moment = _moment(value)
    if moment.time() != dt.time():
        raise BadValue("a date (a time of 00:00:00)")
    return moment.date()


def _tags(value: Any) -> list[str]:
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        return value
    raise BadValue("a list of text")


def _items(value: Any) -> list[tuple[str, str | None]]:
    if isinstance(value, Mapping) and all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in value.items()
    ):
        return list(value.items())
    raise BadValue("an object of text answers")


@dataclass(frozen=True)
class Field:
    name: str  # in the warehouse
    field: str  # in the API's JSON
    type: pa.DataType
    parse: Callable[[Any], Any]
    required: bool = False


ACTION_FIELDS = [
    Field("id", "id", pa.int64(), _int, required=True),
    Field("title", "title", pa.string(), _text),
    Field("academic_year", "academicYear", pa.string(), _text),
]
RECORD_FIELDS = [
    Field("id", "id", pa.int64(), _int, required=True),
    Field("status", "status", pa.string(), _text),
    Field("first_name", "firstName", pa.string(), _text),
    Field("last_name", "lastName", pa.string(), _text),
    Field("date_of_birth", "dateOfBirth", pa.date32(), _day),
    Field("external_student_id", "externalStudentID", pa.string(), _text),
    Field("external_family_id", "externalFamilyID", pa.string(), _text),
    Field("household", "household", pa.string(), _text),
    Field("school", "school", pa.string(), _text),
    Field("grade", "grade", pa.string(), _text),
    Field("enroll_status", "enrollStatus", pa.string(), _text),
    Field("imported", "imported", pa.timestamp("us"), _moment),
    Field("started", "started", pa.timestamp("us"), _moment),
    Field("submitted", "submitted", pa.timestamp("us"), _moment),
    Field("tags", "tags", pa.list_(pa.string()), _tags),
    Field("data_items", "dataItems", pa.map_(pa.string(), pa.string()), _items),
]
ACTIONS_SCHEMA = pa.schema([(f.name, f.type) for f in ACTION_FIELDS])
# the partition (published action) first: the records do not name their action
RECORDS_SCHEMA = pa.schema(
    [("published_action_id", pa.int64())] + [(f.name, f.type) for f in RECORD_FIELDS]
)


def to_batch(
    rows: list[Any],
    fields: list[Field],
    where: str,
    first_row: int = 1,
    prefix: dict[str, Any] | None = None,
) -> pa.RecordBatch:
    """API rows as a batch of ``fields`` (after the constant ``prefix`` columns); an error
    names ``where``, the row number, its id and the field."""
    prefix = prefix or {}
    columns: dict[str, list[Any]] = {name: [] for name in prefix} | {f.name: [] for f in fields}
    for i, row in enumerate(rows, start=first_row):
        at = f"{where}, row {i}"
        if not isinstance(row, Mapping):
            raise EnrollmentError(f"{at}: not a JSON object")
        at += f" (id {row.get('id')!r})"
        for name, value in prefix.items():
            columns[name].append(value)
        for f in fields:
            if f.field not in row:
                raise EnrollmentError(f"{at}: field {f.field!r} is missing")
            raw = row[f.field]
            try:
                value = None if raw is None else f.parse(raw)
            except BadValue as e:
                raise EnrollmentError(f"{at}, field {f.field!r}: {raw!r} is not {e}") from None
            if value is None and f.required:
                raise EnrollmentError(f"{at}, field {f.field!r}: is empty")
            columns[f.name].append(value)
    types = {name: pa.int64() for name in prefix} | {f.name: f.type for f in fields}
    schema = pa.schema([(name, types[name]) for name in columns])
    return pa.record_batch(
        [pa.array(columns[name], type=types[name]) for name in columns], schema=schema
    )


def record_batches(pages: Iterator[list[Any]], action_id: int) -> Iterator[pa.RecordBatch]:
    """One batch per page of an action's records, rows numbered across the pages."""
    where = f"Enrollment API {records_path(action_id)}"
    first = 1
    for records in pages:
        yield to_batch(
            records, RECORD_FIELDS, where, first, prefix={"published_action_id": action_id}
        )
        first += len(records)
