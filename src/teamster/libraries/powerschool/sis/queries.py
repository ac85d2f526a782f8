"""SQLAlchemy Core queries for SIS extraction, compiled per dialect."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from teamster.libraries.powerschool.sis.tables import sql_table


def select_table(table: str) -> sa.Select:
    """Every declared column of a table, in declared order."""
    t = sql_table(table)
    return sa.select(*t.columns)


def compile_for(query: sa.Select, dialect: Dialect) -> str:
    return str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
