"""ADP ingestion against the sandbox's SFTP server: counts equal the truth, bad files
land nothing, a pay date is the unit of replacement, the sensor finds new files."""

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from dagster import (
    DagsterInstance,
    Definitions,
    SensorResult,
    SkipReason,
    build_sensor_context,
)

from sandbox.calendar import pay_dates
from sandbox.faults import corrupt_file
from sandbox.generator import World
from teamster.core.resources import shared_resources
from teamster.core.ssh import SSHError
from teamster.libraries.adp.assets import (
    PAY_DATES,
    build_adp_assets,
    files_key,
    general_ledger_key,
    workers_key,
)
from teamster.libraries.adp.files import ADPFiles, pay_date_of
from teamster.libraries.adp.sensors import build_adp_sensor

LOCATION = "kipptaf"
FILES, LEDGER, WORKERS = files_key(LOCATION), general_ledger_key(LOCATION), workers_key(LOCATION)


def _defs(settings) -> Definitions:
    """kipptaf's ADP wiring alone, so these tests do not depend on its dbt project."""
    return Definitions(
        assets=build_adp_assets(LOCATION),
        sensors=[build_adp_sensor(LOCATION)],
        resources={**shared_resources(settings), "adp_sftp": ADPFiles(settings.adp_sftp)},
    )


def _payroll_dir(sandbox) -> Path:
    return sandbox.root / "sftp" / "adp" / "payroll"


def _served_pay_dates(sandbox) -> set[str]:
    return {d.isoformat() for p in _payroll_dir(sandbox).iterdir() if (d := pay_date_of(p.name))}


def _query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _lines_by_pay_date(settings) -> dict[str, int]:
    rows = _query(
        settings,
        "select cast(pay_date as varchar), count(*) "
        "from kipptaf_adp_payroll.general_ledger group by 1",
    )
    return dict(rows)


def _load_everything(defs: Definitions, instance: DagsterInstance) -> list[str]:
    """What `teamster demo` does: the listing (which adds partitions), then each pay date."""
    job = defs.resolve_implicit_global_asset_job_def()
    job.execute_in_process(asset_selection=[FILES, WORKERS], instance=instance)
    keys = instance.get_dynamic_partitions(PAY_DATES.name)
    for key in keys:
        job.execute_in_process(asset_selection=[LEDGER], partition_key=key, instance=instance)
    return keys


@contextmanager
def _restored(path: Path) -> Iterator[Path]:
    """Put a served file's bytes and mtime back, so later listings see no change."""
    data, stat = path.read_bytes(), path.stat()
    try:
        yield path
    finally:
        path.write_bytes(data)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_pay_date_of_reads_only_general_ledger_names():
    assert pay_date_of("gl_20260703.csv") == dt.date(2026, 7, 3)
    for name in ("gl_2026073.csv", "gl_20261340.csv", "staff_roster.csv", "gl_20260703.csv.part"):
        assert pay_date_of(name) is None


def test_loads_every_pay_date_and_the_roster_as_the_truth_says(sandbox, settings):
    defs, instance = _defs(settings), DagsterInstance.ephemeral()
    truth = sandbox.truth()
    keys = _load_everything(defs, instance)
    assert set(keys) == _served_pay_dates(sandbox)
    assert len(keys) == truth["adp_gl"]["files"]

    by_date = _lines_by_pay_date(settings)
    assert set(by_date) == set(keys)
    assert sum(by_date.values()) == truth["adp_gl"]["lines"]
    [(files,)] = _query(settings, "select count(*) from kipptaf_adp_payroll.general_ledger_files")
    assert files == len(keys)

    active = dict(
        _query(
            settings,
            "select home_work_location, count(*) from kipptaf_adp_workforce_now.workers "
            "where position_status = 'Active' and termination_date is null group by 1",
        )
    )
    assert active == truth["staff_by_home_location"]

    types = dict(
        _query(
            settings,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'kipptaf_adp_payroll' and table_name = 'general_ledger'",
        )
    )
    assert types["pay_date"] == "DATE" and types["debit"] == "DECIMAL(18,2)"
    [(unbalanced,)] = _query(
        settings,
        "select count(*) from kipptaf_adp_payroll.general_ledger where debit < 0 or credit < 0",
    )
    assert unbalanced == 0


def test_rerunning_a_pay_date_replaces_only_its_rows(sandbox, settings):
    defs, instance = _defs(settings), DagsterInstance.ephemeral()
    keys = _load_everything(defs, instance)
    before = _lines_by_pay_date(settings)
    job = defs.resolve_implicit_global_asset_job_def()
    target = keys[len(keys) // 2]

    job.execute_in_process(asset_selection=[LEDGER], partition_key=target, instance=instance)
    assert _lines_by_pay_date(settings) == before  # a plain rerun duplicates nothing

    path = _payroll_dir(sandbox) / f"gl_{target.replace('-', '')}.csv"
    with _restored(path):
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[:-4]) + "\n")  # a corrected file: four lines fewer
        job.execute_in_process(asset_selection=[LEDGER], partition_key=target, instance=instance)
        after = _lines_by_pay_date(settings)
    assert after == {**before, target: before[target] - 4}
    job.execute_in_process(asset_selection=[LEDGER], partition_key=target, instance=instance)
    assert _lines_by_pay_date(settings) == before


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("malformed", "line 3, column 'pay_date': 'not-a-number' is not a valid date"),
        ("truncate", "the last row has no line ending; the file is truncated"),
    ],
)
def test_a_bad_file_fails_naming_it_and_keeps_the_previous_rows(sandbox, settings, how, expected):
    defs, instance = _defs(settings), DagsterInstance.ephemeral()
    keys = _load_everything(defs, instance)
    before = _lines_by_pay_date(settings)
    target = keys[0]
    name = f"gl_{target.replace('-', '')}.csv"
    ledger_dir = settings.landing.root / "kipptaf" / "adp_payroll" / "general_ledger"
    landed = ledger_dir / f"pay_date={target}" / "data.parquet"
    landed_bytes = landed.read_bytes()

    with _restored(_payroll_dir(sandbox) / name) as path:
        corrupt_file(path, how)
        job = defs.resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(
            asset_selection=[LEDGER], partition_key=target, instance=instance, raise_on_error=False
        )
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert f"/payroll/{name}" in message and expected in message
    if how == "truncate":
        assert "line " in message
    assert _lines_by_pay_date(settings) == before
    assert landed.read_bytes() == landed_bytes
    assert [p.name for p in landed.parent.iterdir()] == ["data.parquet"]


def test_a_dropped_transfer_is_retried_then_named(sandbox, settings):
    adp = ADPFiles(settings.adp_sftp, attempts=2, first_wait=0.05)
    pay_date = sorted(_served_pay_dates(sandbox))[0]
    sandbox.faults.drop_after_bytes("sftp", 5000)  # every session is cut mid-file
    try:
        with pytest.raises(SSHError, match=r"gl_\d{8}\.csv: the transfer failed 2 times"):
            adp.general_ledger(pay_date)
    finally:
        sandbox.faults.drop_after_bytes("sftp", None)
    assert adp.general_ledger(pay_date).table.num_rows > 0


def _evaluate(defs: Definitions, instance: DagsterInstance):
    sensor = defs.resolve_sensor_def(f"{LOCATION}__adp__sftp_files")
    with build_sensor_context(
        instance=instance,
        definitions=defs,
        resources={"adp_sftp": defs.resources["adp_sftp"]},
    ) as context:
        return sensor(context)


def _apply(defs: Definitions, instance: DagsterInstance, result: SensorResult) -> None:
    """Do what the daemon does with a sensor result: add partitions, launch the runs."""
    for request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    job = defs.resolve_implicit_global_asset_job_def()
    for run in result.run_requests or []:
        job.execute_in_process(
            asset_selection=run.asset_selection, partition_key=run.partition_key, instance=instance
        )


def _school_days_to_next_pay_date(sandbox) -> int:
    state = sandbox.state()
    as_of = dt.date.fromisoformat(state["as_of"])
    world = World(state["seed"], state["scale"], state["start_year"])
    upcoming = min(p for p in pay_dates(state["start_year"]) if p > as_of)
    later = [d for d in world.school_days if d > as_of]
    return next(i for i, d in enumerate(later, start=1) if d >= upcoming)


def test_sensor_adds_and_requests_exactly_the_new_pay_date(sandbox, settings):
    defs, instance = _defs(settings), DagsterInstance.ephemeral()
    first = _evaluate(defs, instance)
    served = _served_pay_dates(sandbox)
    assert isinstance(first, SensorResult)
    [added] = first.dynamic_partitions_requests
    assert set(added.partition_keys) == served
    ledger_runs = {r.partition_key for r in first.run_requests if r.asset_selection == [LEDGER]}
    assert ledger_runs == served
    _apply(defs, instance, first)
    assert isinstance(_evaluate(defs, instance), SkipReason)

    roster = sandbox.root / "sftp" / "adp" / "roster" / "staff_roster.csv"
    roster_before = roster.read_bytes()
    sandbox.advance(days=_school_days_to_next_pay_date(sandbox))
    [new] = _served_pay_dates(sandbox) - served

    later = _evaluate(defs, instance)
    assert isinstance(later, SensorResult)
    [added] = later.dynamic_partitions_requests
    assert list(added.partition_keys) == [new]
    partitioned = [r for r in later.run_requests if r.partition_key is not None]
    assert [(r.partition_key, r.asset_selection) for r in partitioned] == [(new, [LEDGER])]
    [plain] = [r for r in later.run_requests if r.partition_key is None]
    expected_plain = {FILES} | ({WORKERS} if roster.read_bytes() != roster_before else set())
    assert set(plain.asset_selection) == expected_plain

    _apply(defs, instance, later)
    assert isinstance(_evaluate(defs, instance), SkipReason)
    assert _lines_by_pay_date(settings)[new] == len(
        (_payroll_dir(sandbox) / f"gl_{new.replace('-', '')}.csv").read_text().splitlines()[1:]
    )
