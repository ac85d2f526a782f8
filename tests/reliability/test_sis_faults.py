"""The PowerSchool SIS SQL path under faults: a tunnel cut mid-extract, a database that
refuses connections, and two runs loading the same table at once.

Each fault fails the run with an error naming the database and the bastion (never the
password) and leaves the warehouse table and the landed file exactly as they were; once
the fault is cleared, the next run lands the table whole (equal to the sandbox's truth).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from sandbox.district import SIS_PORT, sis_host
from teamster.core.locations import load_definitions

LOCATION = "kippcamden"
TABLE = "cc"  # section enrollments: the largest unpartitioned table at the test scale
KEY = AssetKey([LOCATION, "powerschool", TABLE])


def _materialize(raise_on_error: bool = True):
    job = load_definitions(LOCATION).resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        asset_selection=[KEY], instance=DagsterInstance.ephemeral(), raise_on_error=raise_on_error
    )


def _landed(settings) -> Path:
    return settings.landing.root / LOCATION / "powerschool" / TABLE / "data.parquet"


def _snapshot(settings) -> tuple[list[tuple], bytes, list[str]]:
    """The table's rows (sorted), the landed file's bytes, and the landing folder."""
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        rows = sorted(
            con.execute(f"select * from {LOCATION}_powerschool.{TABLE}").fetchall(), key=repr
        )
    folder = sorted(p.name for p in _landed(settings).parent.iterdir())
    return rows, _landed(settings).read_bytes(), folder


def _truth(sandbox) -> int:
    return sandbox.truth()["tables_by_region"][LOCATION][TABLE]


def _failure(result) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.cause.message


def _password(settings) -> str:
    return Path(settings.sis_databases[LOCATION].password_file).read_text().strip()


def _cut_inside_rows(sandbox, settings) -> int:
    """A tunnel byte limit that lets the login through and cuts the table's rows.

    The driver reads the database's catalog when it connects (a few hundred kB, the
    bulk of a small table's traffic), so the limit is found by trying: the least one a
    connection survives, then a little more, checked to fail inside the extract."""
    from teamster.libraries.powerschool.sis.resources import PowerSchoolSIS, select_table
    from teamster.libraries.powerschool.sis.schema import arrow_schema

    sis = PowerSchoolSIS(settings=settings.sis_databases[LOCATION])

    def reached(limit: int) -> str:
        sandbox.faults.drop_after_bytes("bastion", limit)
        stage = "connect"
        try:
            with sis.session() as session:
                session._connection()
                stage = "extract"
                for _ in session.stream(select_table(TABLE), arrow_schema(TABLE)):
                    pass
            return "done"
        except Exception:
            return stage
        finally:
            sandbox.faults.drop_after_bytes("bastion", None)

    low, high = 0, 4_000_000  # reached(low) fails at connect, reached(high) gets further
    assert reached(high) == "done"
    while high - low > 1024:
        middle = (low + high) // 2
        low, high = (low, middle) if reached(middle) != "connect" else (middle, high)
    limit = high + 2048
    assert reached(limit) == "extract", "the table is too small to cut inside its rows"
    return limit


def test_tunnel_cut_mid_extract_keeps_the_last_good_table(sandbox, settings, ledger):
    _materialize()
    before = _snapshot(settings)
    assert len(before[0]) == _truth(sandbox)
    limit = _cut_inside_rows(sandbox, settings)
    with ledger.fault("SIS SQL: SSH tunnel cut mid-extract"):
        sandbox.faults.drop_after_bytes("bastion", limit)
        try:
            failed = _materialize(raise_on_error=False)
        finally:
            sandbox.faults.drop_after_bytes("bastion", None)
        assert not failed.success
        message = _failure(failed)
        assert " querying postgresql://" in message, message  # in the rows, not the login
        assert f"sis.{LOCATION}.sandbox" in message and "SSH bastion" in message, message
        assert _password(settings) not in message
        assert _snapshot(settings) == before  # table, landed bytes, no partial file

        _materialize()  # the fault cleared: the retry lands the table whole
        after = _snapshot(settings)
        ledger.lost(_truth(sandbox) - len(after[0]))
        assert len(after[0]) == _truth(sandbox)


def test_database_refusing_connections_keeps_the_last_good_table(sandbox, settings, ledger):
    _materialize()
    before = _snapshot(settings)
    db = sandbox._database(LOCATION)
    with ledger.fault("SIS SQL: the database refuses connections"):
        db.stop()
        try:
            failed = _materialize(raise_on_error=False)
        finally:
            # the bastion routes to the cluster's socket, which moves on a restart
            sandbox._routes[(sis_host(LOCATION), SIS_PORT)] = db.start()
        assert not failed.success
        message = _failure(failed)
        assert "SISError: cannot connect to postgresql://" in message, message
        assert "could not reach the database" in message, message
        assert f"sis.{LOCATION}.sandbox" in message
        assert _password(settings) not in message
        assert _snapshot(settings) == before

        _materialize()
        after = _snapshot(settings)
        ledger.lost(_truth(sandbox) - len(after[0]))
        assert len(after[0]) == _truth(sandbox)


_RUN = textwrap.dedent(
    """
    import sys
    from dagster import AssetKey, DagsterInstance
    from teamster.core.locations import load_definitions

    job = load_definitions(sys.argv[1]).resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(
        asset_selection=[AssetKey(sys.argv[1:])],
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                print(event.step_failure_data.error.cause.message, file=sys.stderr)
    sys.exit(0 if result.success else 1)
    """
)


def _start_run() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", _RUN, LOCATION, "powerschool", TABLE],
        env=os.environ.copy(),  # the session's settings: the same data dir and sandbox
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_load_waits_for_a_warehouse_another_process_holds(sandbox, settings, ledger):
    """A run whose load finds the warehouse file locked (another run's load, a user's
    DuckDB shell) waits for it, then loads; it does not fail or load half."""
    _materialize()
    with ledger.fault("warehouse: the DuckDB file held by another process during a load"):
        holder = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                "print('held', flush=True); sys.stdin.read(); con.close()",
                str(settings.warehouse.path),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert holder.stdout.readline().strip() == "held"
            run = _start_run()
            # the run extracts and lands, then waits on the lock: release it only once
            # the landed file is newer than before, i.e. the run reached its load
            landed = _landed(settings)
            mtime = landed.stat().st_mtime_ns
            while landed.stat().st_mtime_ns == mtime and run.poll() is None:
                time.sleep(0.2)
        finally:
            holder.communicate("", timeout=30)
        out, err = run.communicate(timeout=600)
        assert run.returncode == 0, err[-3000:]
        rows = len(_snapshot(settings)[0])
        ledger.lost(_truth(sandbox) - rows)
        assert rows == _truth(sandbox)


def test_two_runs_racing_on_one_table_both_load_it_whole(sandbox, settings, ledger):
    with ledger.fault("two runs loading the same table at the same time"):
        runs = [_start_run(), _start_run()]
        results = [run.communicate(timeout=600) for run in runs]
        for run, (_, err) in zip(runs, results, strict=True):
            assert run.returncode == 0, err[-3000:]
        rows, _, folder = _snapshot(settings)
        assert folder == ["data.parquet"]  # neither left a partial file
        assert len(set(rows)) == len(rows)  # nothing doubled
        ledger.lost(_truth(sandbox) - len(rows))
        assert len(rows) == _truth(sandbox)


def test_a_warehouse_held_too_long_fails_naming_the_holder(settings, tmp_path):
    """Past its wait, a load fails saying who holds the file and what to do."""
    from teamster.core.warehouse import DuckDBWarehouse, WarehouseBusy

    path = tmp_path / "held.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('held', flush=True); "
            "sys.stdin.read()",
            str(path),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy) as info:
            DuckDBWarehouse(path=str(path), lock_wait=0.5).connect()
    finally:
        holder.communicate("", timeout=30)
    assert f"the warehouse {path} stayed locked for 0 s by " in str(info.value)
    assert f"(PID {holder.pid})" in str(info.value)
    # once released, it opens at once
    DuckDBWarehouse(path=str(path), lock_wait=0.5).connect().close()
