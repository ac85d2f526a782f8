"""What teamster writes under a data dir is its owner's alone, from creation.

The tests run with umask 022, the usual default that would leave files 0644 and folders
0755, and check every path by ``stat``: the modes come from how each file was created,
not from the umask, so the checks hold as root or as any other user.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pyarrow as pa
import pytest
from dagster import AssetKey

from support import make_data_dir
from teamster.core.landing import LandingZone
from teamster.core.partitions import by_value
from teamster.core.settings import LocalLandingSettings
from teamster.core.warehouse import DuckDBWarehouse

KEY = AssetKey(["kippnewark", "demo", "scores"])
SCHEMA = pa.schema([("subject", pa.string()), ("score", pa.int64())])


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = make_data_dir("teamster-modes-")
    try:
        yield path
    finally:
        import shutil

        shutil.rmtree(path, ignore_errors=True)


def open_paths(root: Path) -> list[str]:
    """Every path under ``root`` that grants anything to group or others, with its mode."""
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            mode = stat.S_IMODE(path.lstat().st_mode)
            if mode & 0o077:
                found.append(f"{path.relative_to(root)} {oct(mode)}")
    return sorted(found)


def test_landed_files_and_the_warehouse_are_private_under_umask_022(umask_022, data_dir):
    landing = LandingZone(LocalLandingSettings(root=data_dir / "landing"))
    warehouse = DuckDBWarehouse(path=str(data_dir / "warehouse.duckdb"))
    batch = pa.record_batch([pa.array(["ela", "ela"]), pa.array([1, 2], pa.int64())], SCHEMA)
    whole = landing.write(KEY, SCHEMA, [batch])
    part = landing.write(KEY, SCHEMA, [batch], by_value("subject", "ela", "subject", "ela"))
    assert warehouse.replace("kippnewark_demo", "scores", whole) == 2
    # DuckDB makes its write-ahead log while a connection writes, and again after
    # every checkpoint deleted it: it is private too
    with warehouse.writing() as con:
        con.execute("CREATE TABLE kippnewark_demo.more AS SELECT * FROM range(10)")
        wal = data_dir / "warehouse.duckdb.wal"
        assert wal.exists()
        assert stat.S_IMODE(wal.stat().st_mode) == 0o600
    assert warehouse.replace("kippnewark_demo", "by_subject", part) == 2

    assert open_paths(data_dir) == []
    assert {p.name for p in data_dir.iterdir()} >= {"landing", "warehouse.duckdb"}
    assert stat.S_IMODE(os.stat(part.uri).st_mode) == 0o600
    # the process's umask is the caller's again
    assert os.umask(0o022) == 0o022


def test_a_data_dir_and_its_parents_are_created_private(umask_022, data_dir):
    from teamster.core.private import private_dir

    made = private_dir(data_dir / "new" / "deeper" / "data")
    assert made.is_dir()
    assert open_paths(data_dir) == []


def test_an_existing_folder_keeps_its_mode_unless_it_is_ours_alone(umask_022, data_dir):
    """A data dir may be a folder the user already had (even one others share): it is
    not locked down behind their back; a folder only teamster makes (secrets) is."""
    from teamster.core.private import private_dir

    shared = data_dir / "shared"
    shared.mkdir(mode=0o755)
    private_dir(shared)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o755
    private_dir(shared, tighten=True)
    assert stat.S_IMODE(shared.stat().st_mode) == 0o700


def test_the_dagster_home_is_private(umask_022, data_dir):
    from teamster.cli import dagster_home

    home = dagster_home(SimpleNamespace(data_dir=data_dir))
    assert (home / "dagster.yaml").read_text().startswith("# written by")
    assert open_paths(data_dir) == []
