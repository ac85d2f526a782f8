"""End to end: `teamster demo` as a user runs it, checked against the sandbox's truth."""

import contextlib
import io
import json
import os
import re
import signal
import socket
import subprocess
import time
import uuid
from functools import partial
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest
from dagster import (
    AssetCheckResult,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    asset,
    asset_check,
)
from rich.console import Console
from shared_demo import DemoRun

from teamster.core.regions import AUTOCOMM_REGIONS, LOCATIONS, SQL_SIS_REGIONS
from teamster.demo import _DemoProgress, _failure_text

# the tags of runs a sensor, a schedule or automation asked for: the day-one catch-up
CATCH_UP_TAGS = {"dagster/sensor_name", "dagster/schedule_name"}
# what Dagster and dbt print themselves; the demo keeps all of it in its log
NOISE = (
    "Telemetry",
    "Welcome to Dagster",
    "telemetry:",
    " - dagster - ",
    "Running with dbt",
    "Traceback",
)


def _interrupted_demo(demo: DemoRun) -> subprocess.CompletedProcess:
    """The demo again on the same data dir, stopped with Ctrl-C (SIGINT to its whole
    process group, as a terminal sends it) while it replaces landed files."""
    args, env = demo.command()
    started = time.time()
    process = subprocess.Popen(
        args,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    deadline = time.monotonic() + 600
    while process.poll() is None and time.monotonic() < deadline:
        if len(_written_since(demo.data_dir / "landing", started)) >= 8:
            break
        time.sleep(0.1)
    assert process.poll() is None, "the demo ended before it could be interrupted"
    os.killpg(process.pid, signal.SIGINT)
    out, err = process.communicate(timeout=300)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def _written_since(root: Path, since: float) -> list[Path]:
    found = []
    for path in root.rglob("*.parquet"):
        with contextlib.suppress(FileNotFoundError):  # replaced while we looked
            if path.stat().st_mtime > since:
                found.append(path)
    return found


def _nothing_left_behind(data_dir: Path, port_base: int) -> None:
    """After Ctrl-C: no server of the district runs, no file is half-written where a
    reader sees it, and every table of the warehouse reads whole."""
    from sandbox import postgres
    from sandbox.district import Sandbox
    from teamster.core.settings.local import sandbox_ports

    ports = sandbox_ports(port_base)
    for port in [ports.bastion, *ports.sftp.values(), *ports.http.values()]:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
    box = Sandbox(data_dir, ports)
    for region in SQL_SIS_REGIONS:
        assert postgres._server_pid(box._database(region).pgdata) is None, region
    partial = [
        p
        for root in (data_dir / "landing", data_dir / "sandbox" / "sftp")
        for p in root.rglob("*")
        if p.name.endswith((".tmp", ".part")) or p.name.startswith(".data.")
    ]
    assert partial == []
    for path in (data_dir / "landing").rglob("*.parquet"):
        pq.read_metadata(path)  # a truncated file has no footer and raises
    with duckdb.connect(str(data_dir / "warehouse.duckdb")) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'"
        ).fetchall()
        assert tables
        for schema, name in tables:
            assert "__dbt_tmp" not in name and not name.startswith("__load_"), name
            con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()


# what a table records of its source's files, not of their rows: the second demo run
# generates the district again, which writes every vendor file anew (new mtimes)
SOURCE_STAMPS = {"kipptaf_adp_payroll.general_ledger_files": "modified_at"}


def _fingerprints(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Every warehouse table as (rows, sum of the rows' hashes): equal for equal tables,
    whatever the rows' order, and a row doubled or changed shows."""
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE'"
        ).fetchall()
        found = {}
        for schema, name in tables:
            stamp = SOURCE_STAMPS.get(f"{schema}.{name}")
            rows = (
                f'(select * exclude ("{stamp}") from "{schema}"."{name}")'
                if stamp
                else (f'"{schema}"."{name}"')
            )
            found[f"{schema}.{name}"] = con.execute(
                f"select count(*), sum(hash(t)::hugeint) from {rows} t"
            ).fetchone()
        assert set(SOURCE_STAMPS) <= set(found)  # each exception names a real table
        return found


def _counts(data_dir: Path) -> dict[str, int]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return dict(
            con.execute(
                "select code_location, count(*) from kipptaf.dim_students group by 1"
            ).fetchall()
        )


def _network(data_dir: Path) -> dict[str, object]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:

        def by_region(sql: str) -> dict[str, int]:
            return dict(con.execute(sql).fetchall())

        return {
            "incidents": by_region(
                "select code_location, count(*) from kipptaf.fct_behavior_incidents group by 1"
            ),
            "behavior": by_region(
                "select code_location, count(*) from kipptaf.fct_behavior group by 1"
            ),
            # by PowerSchool school: DeansList's own school ids went through the crosswalk
            "incidents_by_school": {
                (r, str(s)): n
                for r, s, n in con.execute(
                    "select code_location, school_number, count(*) "
                    "from kipptaf.fct_behavior_incidents group by all"
                ).fetchall()
            },
            "enrollment_records": by_region(
                "select cast(published_action_id as varchar), count(*) "
                "from kipptaf_powerschool_enrollment.submission_records group by 1"
            ),
            "enrollment_submissions": by_region(
                "select cast(action_id as varchar), sum(submissions) "
                "from kipptaf_tableau.rpt_tableau__enrollment group by 1"
            ),
            "iready": by_region(
                "select code_location, count(*) from kipptaf.fct_iready_diagnostics group by 1"
            ),
            # i-Ready's own flag, and the school its crosswalk gives each diagnostic
            "iready_most_recent": by_region(
                "select code_location, count(*) from kipptaf.fct_iready_diagnostics"
                " where is_most_recent group by 1"
            ),
            "iready_by_school": by_region(
                "select code_location || '/' || cast(school_number as varchar), count(*)"
                " from kipptaf.fct_iready_diagnostics group by 1"
            ),
            "active_staff": by_region(
                "select home_work_location, count(*) from kipptaf.dim_staff"
                " where is_active group by 1"
            ),
            "active_staff_by_school": by_region(
                "select cast(home_school_number as varchar), count(*) from kipptaf.dim_staff"
                " where is_active and home_school_number is not null group by 1"
            ),
            "gl_lines": con.execute(
                "select sum(lines) from kipptaf.fct_payroll_by_location"
            ).fetchone()[0],
            "gl_lines_by_school": by_region(
                "select coalesce(cast(school_number as varchar), 'none'), sum(lines)"
                " from kipptaf.fct_payroll_by_location group by 1"
            ),
        }


def _pushed_students(data_dir: Path, region: str) -> int:
    path = data_dir / "sandbox" / "sftp" / "autocomm" / region / "students.txt"
    return len(path.read_text().splitlines()) - 1  # less the header


def _console(out: str, err: str, data_dir: Path, truth: dict) -> None:
    """Progress per stage and a summary that agree with what the run stored; nothing
    of Dagster's or dbt's own output."""
    for noise in NOISE:
        assert noise not in out + err, noise
    assert err == ""
    assert re.search(r"^✓ dbt .* 5/5 projects ", out, re.M)
    stages = re.findall(r"^✓ (\w+) .* (\d+)/(\d+) assets \d+:\d\d:\d\d$", out, re.M)
    assert sorted({loc for loc, _, _ in stages}) == sorted(LOCATIONS)
    assert all(done == total for _, done, total in stages), stages

    with DagsterInstance.from_config(str(data_dir / "dagster")) as instance:
        runs = instance.get_runs()
        day_runs = [r for r in runs if set(r.tags) & CATCH_UP_TAGS]
        full_runs = [r for r in runs if not set(r.tags) & CATCH_UP_TAGS]

        def events(of_runs, kind):
            return [e for run in of_runs for e in instance.all_logs(run.run_id, of_type=kind)]

        checks = [
            e.dagster_event.event_specific_data.passed
            for e in events(full_runs, DagsterEventType.ASSET_CHECK_EVALUATION)
        ]
        materialized = {
            e.dagster_event.asset_key
            for e in events(full_runs, DagsterEventType.ASSET_MATERIALIZATION)
        }
        day_materialized = {
            e.dagster_event.asset_key
            for e in events(day_runs, DagsterEventType.ASSET_MATERIALIZATION)
        }
    total = re.search(
        r"│ full load +│ (\d+) runs +│ (\d+)/(\d+) +│ (\d+) +│ (\d+) +│ [\d.]+s +│", out
    )
    assert total, out[-3000:]
    assert int(total[1]) == len(full_runs)
    assert int(total[2]) == int(total[3]) == len(materialized)
    assert (int(total[4]), int(total[5])) == (checks.count(True), checks.count(False))
    assert checks.count(True) > 0

    day = re.search(r"^day-one catch-up: (\d+) runs, (\d+) assets, [\d.]+s; \d+% of", out, re.M)
    assert day, out[-3000:]
    assert (int(day[1]), int(day[2])) == (len(day_runs), len(day_materialized))
    asked = {r.tags.get("dagster/sensor_name") or r.tags["dagster/schedule_name"] for r in day_runs}
    # the SIS probes found the new school day in every SQL region, the nightly
    # schedules reloaded what has no change stamp, and automation rebuilt downstream
    # in every location, up to each region's AutoComm push
    for region in SQL_SIS_REGIONS:
        assert {
            f"{region}__powerschool_sis__changes",
            f"{region}__powerschool_sis__nightly",
            f"{region}__deanslist__nightly",
        } <= asked
    for location in LOCATIONS:
        assert f"{location}_automation" in asked
    pushes = {k for k in day_materialized if k.path[-1] == "powerschool_autocomm"}
    assert len(pushes) == len(AUTOCOMM_REGIONS), day_materialized
    assert materialized > day_materialized

    assert re.search(r"│ kipptaf +│ +\d+ +│ [\d,]+ +│", out)  # rows per dataset
    pushed = {
        (region, file): int(rows.replace(",", ""))
        for region, file, rows in re.findall(r"│ (kipp\w+) +│ (\w+\.txt) +│ ([\d,]+) +│", out)
    }
    for region in AUTOCOMM_REGIONS:
        assert pushed[(region, "students.txt")] == truth["students_by_region"][region]
    assert {region for region, _ in pushed} == set(AUTOCOMM_REGIONS)
    assert f"uv run teamster dev --data-dir {data_dir.resolve()}\n" in out
    assert str(data_dir / "logs" / "demo.log") in out


def test_demo_matches_truth_and_reruns_safely(demo_run: DemoRun):
    data_dir, port_base = demo_run.data_dir, demo_run.port_base
    first = demo_run.first
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    truth = json.loads((data_dir / "sandbox" / "truth.json").read_text())
    assert _counts(data_dir) == truth["students_by_region"]
    assert "kipptaf" in first.stdout and "done" in first.stdout
    # the run logs at DEBUG (for the secrets scan); the console shows none of it
    assert "python_log_level: DEBUG" in (data_dir / "dagster" / "dagster.yaml").read_text()
    _console(first.stdout, first.stderr, data_dir, truth)

    network = _network(data_dir)
    tables = _fingerprints(data_dir)
    assert network["incidents"] == {
        r: v["incidents"] for r, v in truth["deanslist_by_region"].items()
    }  # incidents deleted in DeansList are left out
    assert network["behavior"] == {
        r: v["behavior"] for r, v in truth["deanslist_by_region"].items()
    }
    assert network["incidents_by_school"] == {
        (r, school): counts["incidents"]
        for r, schools in truth["deanslist_by_school"].items()
        for school, counts in schools.items()
        if counts["incidents"]
    }
    assert network["enrollment_records"] == {
        a: n for a, n in truth["enrollment_records_by_action"].items() if n
    }
    assert network["enrollment_submissions"] == truth["enrollment_submitted_by_action"]
    assert network["iready"] == truth["iready_diagnostics_by_region"]
    assert network["iready_most_recent"] == truth["iready_most_recent_by_region"]
    assert network["iready_by_school"] == {
        f"{region}/{school}": n
        for region, schools in truth["iready_diagnostics_by_school"].items()
        for school, n in schools.items()
    }
    assert network["active_staff"] == truth["staff_by_home_location"]
    assert network["active_staff_by_school"] == truth["active_staff_by_school"]
    assert network["gl_lines"] == truth["adp_gl"]["lines"]
    assert network["gl_lines_by_school"] == truth["adp_gl"]["lines_by_school"]
    # every SQL region's PowerSchool received its enrolled students; Paterson nothing
    for region in ("kippnewark", "kippcamden", "kippmiami"):
        assert _pushed_students(data_dir, region) == truth["students_by_region"][region]
    assert not (data_dir / "sandbox" / "autocomm" / "kipppaterson.jsonl").exists()
    extracts = sorted(p.name for p in (data_dir / "tableau").rglob("*.parquet"))
    assert extracts == [
        f"rpt_tableau__{n}.parquet" for n in ("assessments", "attendance", "enrollment")
    ]

    # Ctrl-C in the middle of a re-run stops everything and loses nothing
    stopped = _interrupted_demo(demo_run)
    assert stopped.returncode == 130, stopped.stdout[-3000:] + stopped.stderr[-3000:]
    assert "interrupted" in stopped.stdout and "Traceback" not in stopped.stdout
    _nothing_left_behind(data_dir, port_base)

    second = demo_run.run()
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert _counts(data_dir) == truth["students_by_region"]
    assert _network(data_dir) == network
    # every asset materialized again (a whole second demo): every table is identical
    again = _fingerprints(data_dir)
    assert again.keys() == tables.keys()
    assert [t for t in tables if again[t] != tables[t]] == []


def test_a_failing_step_shows_its_own_error_and_the_log_not_a_traceback(tmp_path):
    """What the demo's display makes of a real run's events: assets and checks counted,
    and on a failure the step's own error with the log's path, not Dagster's wrapper."""

    @asset
    def fine() -> int:
        return 1

    @asset_check(asset=fine)
    def fine_is_one() -> AssetCheckResult:
        return AssetCheckResult(passed=True)

    @asset_check(asset=fine)
    def fine_is_two() -> AssetCheckResult:
        return AssetCheckResult(passed=False)

    # steps run in name order among equals: both checks are evaluated before `staged`
    @asset(deps=[fine])
    def staged() -> None:
        raise ValueError("Binder Error: column no_such_column not found\nLINE 1: select ...")

    job = Definitions(
        assets=[fine, staged], asset_checks=[fine_is_one, fine_is_two]
    ).resolve_implicit_global_asset_job_def()
    shown, run_id = _DemoProgress(), str(uuid.uuid4())
    with DagsterInstance.ephemeral() as instance:
        instance.add_event_listener(run_id, partial(shown.event, "kippnewark"))
        shown.stage("kippnewark", 2)
        shown.run("kippnewark", ["dbt"], None)
        with pytest.raises(ValueError) as raised:
            job.execute_in_process(
                instance=instance,
                run_id=run_id,
                run_config={"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}},
            )
    shown.fail()
    (stage,) = shown.stages
    assert stage.done == {AssetKey("fine")} and stage.runs == 1
    assert stage.checks_passed == 1 and stage.checks_failed == ["fine: fine_is_two"]
    line = Console(file=io.StringIO(), width=100)
    line.print(shown.progress.get_renderable())
    assert re.search(r"^✗ kippnewark +failed in staged +1/2 assets ", line.file.getvalue(), re.M)

    text = _failure_text(shown, raised.value, tmp_path / "demo.log").plain
    assert "step staged failed" in text
    assert "ValueError: Binder Error: column no_such_column not found" in text
    assert "LINE 1: select" in text
    assert str(tmp_path / "demo.log") in text
    assert "Traceback" not in text and "DagsterExecutionStepExecutionError" not in text


def test_a_failing_dbt_build_shows_dbt_s_errors_not_its_command_line(tmp_path):
    """dagster-dbt's error starts with the whole `dbt build --select` (hundreds of
    models); the demo shows the errors dbt reported, without its colour codes."""
    shown = _DemoProgress()
    selected = "\n".join(f"powerschool.staging.stg_{n}" for n in range(200))
    shown.step_failure = (
        "kippnewark_dbt_assets",
        "DagsterDbtCliRuntimeError: The dbt CLI process with command\n\n"
        f"`dbt build --select {selected}`\n\nfailed with exit code `1`.\n\n"
        "Errors parsed from dbt logs:\n\n"
        "\x1b[31mFailure in model int_powerschool__daily_attendance\x1b[0m\n"
        '  Binder Error: Values list "c" does not have a column named "no_such_column"',
    )
    text = _failure_text(shown, RuntimeError("dbt failed"), tmp_path / "demo.log").plain
    assert text.startswith("step kippnewark_dbt_assets failed; dbt's errors:\n")
    assert "Failure in model int_powerschool__daily_attendance\n" in text
    assert 'named "no_such_column"' in text
    assert "stg_199" not in text and "\x1b[" not in text
    assert text.endswith(f"full log: {tmp_path / 'demo.log'}")
