"""Table declarations (``tables.yaml``): columns and types, change cursor, SFTP export.

Both SIS paths land the declared columns under their database names: the SQL path
selects them, the SFTP path reads PowerSchool's table export and maps its field names
and date formats onto them (``Export``).
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Literal

import pyarrow as pa
import sqlalchemy as sa
import yaml
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from teamster.core.arrow_types import ARROW_TYPES

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
