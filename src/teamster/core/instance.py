"""The local Dagster instance: its log level, and its SQLite files written without
waiting for the disk.

``TEAMSTER_LOG_LEVEL`` (``DEBUG``, ``INFO``, ``WARNING``, ``ERROR`` or ``CRITICAL``;
unset by default) makes the local instance's runs record every Python logger's lines
from that level up in their Dagster event log (``python_logs`` in ``dagster.yaml``):
the libraries' DEBUG lines (HTTP, SSH/SFTP, SQL clients) land where the UI and the
tests read them, not on the demo's console. Unset, the event log holds Dagster's own
events only, as before.

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

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine

LOG_LEVEL_VARIABLE = "TEAMSTER_LOG_LEVEL"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class LogLevelError(ValueError):
    """``TEAMSTER_LOG_LEVEL`` names no log level; the message names the variable."""


def log_level() -> str | None:
    """The level ``TEAMSTER_LOG_LEVEL`` asks for, upper-cased; None when unset or empty.
    A typo fails here rather than silently logging at Dagster's default."""
    given = os.environ.get(LOG_LEVEL_VARIABLE, "").strip()
    if not given:
        return None
    if given.upper() not in LOG_LEVELS:
        raise LogLevelError(
            f"{LOG_LEVEL_VARIABLE}={given[:20]!r} is not a log level: "
            f"use one of {', '.join(LOG_LEVELS)}"
        )
    return given.upper()


def python_logs_yaml() -> str:
    """The ``python_logs`` block of the local ``dagster.yaml`` (empty when no level is
    asked for): every Python logger (the root's) is captured into each run's event log
    from that level up."""
    level = log_level()
    if level is None:
        return ""
    return (
        f"# {LOG_LEVEL_VARIABLE}={level}: Python loggers' lines go to each run's event log\n"
        "python_logs:\n"
        "  managed_python_loggers:\n"
        "    - root\n"
        f"  python_log_level: {level}\n"
    )


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
