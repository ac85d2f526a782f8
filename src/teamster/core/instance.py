"""The local Dagster instance's SQLite files, written without waiting for the disk.

Dagster stores every event of a run (each dbt model's materialization, each dbt test's
check evaluation, and a "planned" event for each at run creation) as its own SQLite
transaction, and SQLite waits for the disk at every commit: about half of a dbt run's
event-writing time on the development machine (bench/demo_speed.py). For the runs the
demo and the catch-up make in this process, the instance's SQLite files are opened with
``synchronous = OFF``: a crash of this process still loses nothing SQLite has been
given, and only a crash of the whole machine could lose or damage the latest run
history (never the warehouse or the landing zone, which are not SQLite). Production's
instance is PostgreSQL and is not touched.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine


@contextmanager
def unsynced_sqlite(home: Path) -> Iterator[None]:
    """While open, SQLite files under ``home`` (a Dagster home) commit without fsync."""
    root = str(home.resolve())

    def _on_connect(connection, _record) -> None:
        if not isinstance(connection, sqlite3.Connection):
            return
        files = [row[2] for row in connection.execute("pragma database_list")]
        if any(f and f.startswith(root) for f in files):
            connection.execute("pragma synchronous = off")

    event.listen(Engine, "connect", _on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", _on_connect)
