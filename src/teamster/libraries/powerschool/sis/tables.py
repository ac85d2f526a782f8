"""Table declarations: Arrow schemas and SQLAlchemy tables from ``tables.yaml``."""

from __future__ import annotations

import functools
from pathlib import Path

import pyarrow as pa
import sqlalchemy as sa
import yaml

ARROW_TYPES: dict[str, pa.DataType] = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}
SQL_TYPES: dict[str, sa.types.TypeEngine] = {
    "int64": sa.BigInteger(),
    "float64": sa.Float(),
    "string": sa.String(),
    "date": sa.Date(),
    "timestamp": sa.DateTime(),
}


@functools.cache
def declarations() -> dict[str, dict[str, str]]:
    with (Path(__file__).parent / "tables.yaml").open() as f:
        declared = yaml.safe_load(f)
    for table, columns in declared.items():
        unknown = {t for t in columns.values() if t not in ARROW_TYPES}
        if unknown:
            raise ValueError(f"tables.yaml: {table} uses unknown types {sorted(unknown)}")
    return declared


def columns(table: str) -> dict[str, str]:
    try:
        return declarations()[table]
    except KeyError:
        raise KeyError(f"PowerSchool table {table!r} is not declared in tables.yaml") from None


def arrow_schema(table: str) -> pa.Schema:
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns(table).items()])


def sql_table(table: str) -> sa.Table:
    return sa.Table(
        table,
        sa.MetaData(),
        *(sa.Column(name, SQL_TYPES[kind]) for name, kind in columns(table).items()),
    )
