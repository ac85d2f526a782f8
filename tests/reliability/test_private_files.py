"""Student records and secrets on disk are their owner's alone.

A real load (PowerSchool students through the SSH bastion, landed as Parquet, loaded
into DuckDB) into a fresh data dir, run with umask 022: the usual default, under which
anything created without an explicit mode is readable by every user. Afterwards every
folder under the data dir is 0700 and every file 0600 (or stricter), and so are the
sandbox's secrets and host keys the load logged in with. Modes are read with ``stat``,
so the check is the same as root or as any other user.
"""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance, materialize

from support import make_data_dir
from teamster.core.io_managers import LandingIOManager
from teamster.core.landing import LandingZone
from teamster.core.locations import load_definitions
from teamster.core.settings import LocalLandingSettings
from teamster.core.warehouse import DuckDBWarehouse

LOCATION = "kippmiami"
KEY = AssetKey([LOCATION, "powerschool", "students"])


def _open_paths(root: Path) -> list[str]:
    """Every path under ``root`` (itself included) with a mode looser than 0700 for a
    folder or 0600 for a file."""
    found = []
    paths = [root]
    for dirpath, dirnames, filenames in os.walk(root):
        paths += [Path(dirpath) / name for name in dirnames + filenames]
    for path in paths:
        mode = stat.S_IMODE(path.lstat().st_mode)
        allowed = 0o700 if path.is_dir() else 0o600
        if mode & ~allowed:
            found.append(f"{path} {oct(mode)}")
    return found


def test_a_load_under_umask_022_leaves_no_file_open_to_others(sandbox, settings, ledger):
    data_dir = make_data_dir("teamster-private-load-")
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    defs = load_definitions(LOCATION)
    warehouse = DuckDBWarehouse(path=str(data_dir / "warehouse.duckdb"))
    landing = LandingZone(LocalLandingSettings(root=data_dir / "landing"))
    resources = {
        **defs.resources,
        "warehouse": warehouse,
        "io_manager": LandingIOManager(landing, warehouse),
    }
    try:
        with ledger.fault("umask 022 while a load writes a fresh data dir"):
            previous = os.umask(0o022)
            try:
                result = materialize(
                    [defs.get_assets_def(KEY)],
                    resources=resources,
                    instance=DagsterInstance.ephemeral(),
                    selection=[KEY],
                )
            finally:
                assert os.umask(previous) == 0o022  # the load left the caller's umask
            assert result.success

            expected = sandbox.truth()["students_total_by_region"][LOCATION]
            with duckdb.connect(str(warehouse.path), read_only=True) as con:
                loaded = con.execute(f"select count(*) from {LOCATION}_powerschool.students")
                rows = loaded.fetchone()[0]
            ledger.lost(expected - rows)
            assert rows == expected

            landed = data_dir / "landing" / LOCATION / "powerschool" / "students"
            assert (landed / "data.parquet").is_file()
            checked = [data_dir, sandbox.secrets_dir, sandbox.root / "host_keys"]
            assert (sandbox.secrets_dir / "ssh_client_key").is_file()  # what logged in
            offending = [p for root in checked for p in _open_paths(root)]
            ledger.leaked(len(offending))
            assert offending == []
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
