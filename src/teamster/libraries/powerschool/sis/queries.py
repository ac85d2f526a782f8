"""SQLAlchemy Core queries for SIS extraction and change probes, compiled per dialect."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from teamster.core.partitions import Partition
from teamster.libraries.powerschool.sis.tables import sql_table


def _window(t: sa.Table, partition: Partition | None) -> list[sa.ColumnElement[bool]]:
    if partition is None:
        return []
    column = t.c[partition.column]
    if partition.start is None:  # the first partition: all earlier rows, and undated ones
        return [sa.or_(column < partition.end, column.is_(None))]
    return [column >= partition.start, column < partition.end]


def select_table(table: str, partition: Partition | None = None) -> sa.Select:
    """Every declared column of a table, in declared order, within a partition's window."""
    t = sql_table(table)
    return sa.select(*t.columns).where(*_window(t, partition))


def probe(table: str, cursor: str, partition: Partition | None = None) -> sa.Select:
    """Row count and highest cursor value: what changes when the table changes."""
    t = sql_table(table)
    return sa.select(sa.func.count().label("n"), sa.func.max(t.c[cursor]).label("cursor")).where(
        *_window(t, partition)
    )


def compile_for(query: sa.Select, dialect: Dialect) -> str:
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))


def render_cursor(value: object) -> str:
    """Cursor values compared as text: one rendering on both sides of a probe."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    return value.isoformat() if isinstance(value, dt.date) else str(value)
