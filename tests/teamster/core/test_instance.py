"""The demo's instance commits without fsync; nothing else does."""

from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from teamster.core.instance import unsynced_sqlite

FULL, OFF = 2, 0


def _synchronous(path: Path) -> int:
    engine = create_engine(f"sqlite:///{path}", poolclass=NullPool)
    with engine.connect() as connection:
        return connection.execute(text("pragma synchronous")).scalar_one()


def test_only_files_under_the_dagster_home_and_only_while_open(tmp_path):
    home, other = tmp_path / "dagster", tmp_path / "elsewhere"
    home.mkdir()
    other.mkdir()
    with unsynced_sqlite(home):
        assert _synchronous(home / "runs.db") == OFF
        assert _synchronous(other / "runs.db") == FULL
    assert _synchronous(home / "runs.db") == FULL
