"""Table declarations (``tables.yaml``): columns and types, change cursor, SFTP export.

Both SIS paths land the declared columns under their database names: the SQL path
selects them, the SFTP path reads PowerSchool's table export and maps its field names
and date formats onto them (``Export``).
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Literal

import pyarrow as pa
import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from teamster.core.arrow_types import ARROW_TYPES
from teamster.core.csv_reader import US_DATE, Column, CSVFileError, read_csv

Kind = Literal["int64", "float64", "string", "date", "timestamp"]
SQL_TYPES: dict[str, sa.types.TypeEngine] = {
    "int64": sa.BigInteger(),
    "float64": sa.Float(),
    "string": sa.String(),
    "date": sa.Date(),
    "timestamp": sa.DateTime(),
}


class Export(BaseModel):
    """How PowerSchool's SFTP table export writes a table, where it differs from the
    database: field names, dates written MM/DD/YYYY, district-defined columns it lacks."""

    model_config = ConfigDict(extra="forbid")
    names: dict[str, str] = {}
    us_dates: list[str] = []
    missing: list[str] = []

    def field(self, column: str) -> str:
        return self.names.get(column, column)


class Table(BaseModel):
    model_config = ConfigDict(extra="forbid")
    cursor: str | None = None
    columns: dict[str, Kind]
    # None: the export has no file for this table
    export: Export | None = Export()

    @model_validator(mode="before")
    @classmethod
    def _no_export(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("export") is False:
            return {**data, "export": None}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Table:
        if self.cursor is not None and self.columns.get(self.cursor) not in ("timestamp",):
            raise ValueError(f"cursor {self.cursor!r} must be a declared timestamp column")
        if self.export is not None:
            named = set(self.export.names) | set(self.export.us_dates) | set(self.export.missing)
            unknown = named - set(self.columns)
            if unknown:
                raise ValueError(f"export names undeclared columns {sorted(unknown)}")
            wrong = [
                c for c in self.export.us_dates if self.columns[c] not in ("date", "timestamp")
            ]
            if wrong:
                raise ValueError(f"us_dates {wrong} are not date or timestamp columns")
        return self


@functools.cache
def declarations() -> dict[str, Table]:
    path = Path(__file__).parent / "tables.yaml"
    declared = yaml.safe_load(path.read_text())
    tables = {}
    for name, body in declared.items():
        try:
            tables[name] = Table.model_validate(body)
        except ValidationError as e:
            raise ValueError(f"{path}: table {name!r}: {e}") from None
    return tables


def table(name: str) -> Table:
    try:
        return declarations()[name]
    except KeyError:
        raise KeyError(f"PowerSchool table {name!r} is not declared in tables.yaml") from None


def columns(name: str) -> dict[str, str]:
    return dict(table(name).columns)


def arrow_schema(name: str) -> pa.Schema:
    return pa.schema([(c, ARROW_TYPES[kind]) for c, kind in table(name).columns.items()])


def sql_table(name: str) -> sa.Table:
    return sa.Table(
        name,
        sa.MetaData(),
        *(sa.Column(c, SQL_TYPES[kind]) for c, kind in table(name).columns.items()),
    )


class DropFileError(CSVFileError):
    """A dropped file does not match its table's declaration; names file, line, column."""


_TABLE_FIELD = re.compile(r"[A-Za-z][A-Za-z0-9_]*\.[A-Za-z][A-Za-z0-9_]*")


def key(name: str) -> str | None:
    """The column that identifies a row of table ``name``: PowerSchool gives every row of
    its tables a ``dcid``; the student extension tables hold one row per student, by
    ``studentsdcid`` (the staging models test both unique)."""
    columns = table(name).columns
    return next((c for c in ("dcid", "studentsdcid") if c in columns), None)


def _other_table(headers: list[str], name: str) -> str | None:
    """The table a header's ``TABLE.FIELD`` names belong to when none is ``name``'s: the
    file is another table's export under this table's file name."""
    tables = [h.split(".", 1)[0].lower() for h in headers if _TABLE_FIELD.fullmatch(h)]
    if not tables or name in tables:
        return None
    return max(set(tables), key=tables.count)


def read_drop(path: Path, name: str, display_name: str) -> pa.Table:
    """Parse PowerSchool's export of table ``name`` strictly, into the declared columns.

    The export's header reads ``TABLE.FIELD``; its fields are mapped to the database
    columns (``tables.yaml``: ``export``), its MM/DD/YYYY dates parsed, and columns the
    district's instance lacks land NULL, so both SIS paths land the same columns and
    types (a date-time the export writes as a bare date lands at midnight). A key found
    twice is refused: loaded, it would count a student (or an enrollment) twice.
    """
    declared = table(name)
    export = declared.export
    if export is None:
        raise DropFileError(f"{display_name}: PowerSchool's SFTP export has no {name!r} table")
    read = [c for c in declared.columns if c not in export.missing]
    columns = [
        Column(
            export.field(c),
            declared.columns[c],
            format=US_DATE if c in export.us_dates else None,
        )
        for c in read
    ]
    prefix = f"{name}."
    headers: list[str] = []

    def field_name(header: str) -> str:
        headers.append(header)
        return header.lower().removeprefix(prefix)

    try:
        parsed = read_csv(path, columns, display_name, header_key=field_name, error=DropFileError)
    except DropFileError:
        other = _other_table(headers, name)
        if other is None:
            raise
        first = next(h for h in headers if h.lower().startswith(f"{other}."))
        raise DropFileError(
            f"{display_name}, line 1: the header's fields are of table {other!r} ({first!r}), "
            f"not {name!r}; the file holds another table's export"
        ) from None
    if (column := key(name)) is not None and column in read:
        field = export.field(column)
        parsed.check_unique([field], f"PowerSchool's {name} has one row per {column.upper()}")
    schema = arrow_schema(name)
    landed = {c: parsed.table.column(export.field(c)) for c in read}
    return pa.table(
        [landed.get(f.name, pa.nulls(parsed.table.num_rows, f.type)) for f in schema], schema=schema
    )
