"""ADP against the sandbox: payroll general-ledger files over SFTP (names with the pay date
and payroll group, Intacct-style journal columns) and Workforce Now workers over its
OAuth, paged API. Counts equal the truth; the crosswalk places every line and worker;
bad files and answers land nothing; a pay date is the unit of replacement; the sensor
finds new files."""

import base64
import datetime as dt
import json
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import httpx
import pytest
from dagster import (
    BetaWarning,
    DagsterInstance,
    Definitions,
    RunRequest,
    SkipReason,
    build_sensor_context,
    evaluate_automation_conditions,
)

from sandbox.calendar import pay_dates
from sandbox.faults import corrupt_file
from sandbox.generator import World
from support import adp_definitions
from teamster.core.http import Retries
from teamster.core.settings import SettingsError
from teamster.core.ssh import RemoteFile, SSHError
from teamster.libraries.adp.assets import (
    PAY_DATES,
    files_key,
    general_ledger_key,
    workers_key,
)
from teamster.libraries.adp.config import ADPConfig, UnknownSite, load_adp_config
from teamster.libraries.adp.resources import ADPFiles, WorkforceNowAPI
from teamster.libraries.adp.schema import (
    ADPFileError,
    GLFile,
    WorkforceNowError,
    parse_name,
    read_general_ledger,
    worker_rows,
)
from teamster.libraries.adp.sensors import build_adp_sensor

LOCATION = "kipptaf"
CONFIG_PATH = (
    Path(__file__).parents[4] / "src" / "teamster" / "code_locations" / "kipptaf" / "config"
)
FILES, LEDGER, WORKERS = files_key(LOCATION), general_ledger_key(LOCATION), workers_key(LOCATION)
FAST = Retries(attempts=3, first_wait=0.01, max_wait=0.05)
ADP_YAML = str(CONFIG_PATH / "adp.yaml")


@pytest.fixture(scope="module")
def config() -> ADPConfig:
    return load_adp_config(CONFIG_PATH / "adp.yaml")


def _defs(settings, config) -> Definitions:
    """kipptaf's ADP wiring alone, so these tests do not depend on its dbt project."""
    return adp_definitions(settings, retries=FAST, sensors=[build_adp_sensor(LOCATION)])


def _payroll_dir(sandbox) -> Path:
    return sandbox.root / "sftp" / "adp" / "payroll"


def _served(sandbox) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for p in sorted(_payroll_dir(sandbox).iterdir()):
        if (parsed := parse_name(p.name)) is not None:
            out.setdefault(parsed[0].isoformat(), []).append(p.name)
    return out


def _query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _lines_by_pay_date(settings) -> dict[str, int]:
    rows = _query(
        settings,
        "select cast(source_file_date as varchar), count(*) "
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


# --- names and the crosswalk ------------------------------------------------------------


def test_file_names_give_pay_date_and_group():
    assert parse_name("ADP_Payroll_20260703_NEW.csv") == (dt.date(2026, 7, 3), "NEW")
    assert parse_name("adp_payroll_20260703_2Z3.csv") == (dt.date(2026, 7, 3), "2Z3")
    assert parse_name("ADP_payroll_20260717_9AM.csv") == (dt.date(2026, 7, 17), "9AM")
    for name in (
        "gl_20260703.csv",
        "ADP_Payroll_20260703.csv",
        "ADP_Payroll_20260703_NEW.csv.part",
        "ADP_Payroll_2026073_NEW.csv",  # seven digits: not a date YYYYMMDD
    ):
        assert parse_name(name) is None
    with pytest.raises(ADPFileError, match="'20261340' is not a date"):
        parse_name("ADP_Payroll_20261340_NEW.csv")


def test_the_crosswalk_places_schools_offices_and_campus_departments(config):
    assert config.code_location("CAM") == "kippcamden"
    assert config.school_number("1010", "10") == 101
    assert config.school_number("9000", "90") is None  # the network office is no school
    assert config.school_number("2010", "2011") == 201  # a shared campus: the department says
    assert config.school_number("2010", "2021") == 202
    with pytest.raises(UnknownSite, match="location '7777' is not in .*adp.yaml"):
        config.school_number("7777", "10")
    with pytest.raises(UnknownSite, match="department '10' of shared location 2010"):
        config.school_number("2010", "10")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "adp:\n  payroll_groups: {NEW: newark}\n"
            "  locations: {'1': {name: A, school_number: 1}}\n",
            "'newark' is not one of",
        ),
        (
            "adp:\n  payroll_groups: {NEW: kippnewark}\n  locations: {'1': {name: A}}\n",
            "give either school_number",
        ),
        (
            "adp:\n  payroll_groups: {NEW: kippnewark}\n"
            "  locations: {L1: {name: A, school_number: 1}}\n",
            "are not numbers",
        ),
        (
            "adp:\n  payroll_groups: {NEW: kippnewark}\n"
            "  locations: {'1': {name: A, school_number: 1, departments: {'2': 3}}}\n",
            "not both",
        ),
    ],
)
def test_a_bad_crosswalk_names_the_file(tmp_path, body, problem):
    path = tmp_path / "adp.yaml"
    path.write_text(body)
    with pytest.raises(SettingsError, match=f"{path}: invalid `adp` section") as info:
        load_adp_config(path)
    assert problem in str(info.value)


# --- the general-ledger reader -----------------------------------------------------------

HEADER = (
    "DATE,JOURNAL,DESCRIPTION,REFERENCE_NO,LINE_NO,ACCT_NO,LOCATION_ID,DEPT_ID,DOCUMENT,MEMO,"
    "DEBIT,CREDIT,SOURCEENTITY,EMPLOYEE_NAME,FILE_NUMBER,POSITION_ID,JOB_TITLE"
)
PERSON = '"King, J",000001,NEW000001,1587'
LINES = [
    f"07/03/2026,PRJ,pay,20260703,1,51000,1010,10,PR1,Salaries,100.00,,TEAM,{PERSON}",
    f"07/03/2026,PRJ,pay,20260703,2,10100,L-1010,10.0,PR1,Cash,,100.00,TEAM,{PERSON}",
]


def _gl(
    tmp_path: Path, lines: list[str], header: str = HEADER, name="ADP_Payroll_20260703_NEW.csv"
):
    path = tmp_path / name
    path.write_text("\n".join([header, *lines]) + "\n")
    pay_date, group = parse_name(name)
    return path, GLFile(RemoteFile(f"/payroll/{name}", 0, 0), pay_date, group)


def test_the_journal_is_typed_cleaned_and_crosswalked(tmp_path, config):
    path, gl = _gl(tmp_path, LINES, HEADER.lower())  # header case does not matter
    table = read_general_ledger(path, gl, path.name, config)
    first, second = table.to_pylist()
    assert first["date"] == dt.date(2026, 7, 3) and first["acct_no"] == 51000
    assert second["location_id"] == 1010 and second["dept_id"] == 10  # "L-1010", "10.0"
    assert str(first["debit"]) == "100.00" and first["credit"] is None
    assert first["file_number"] == 1 and first["job_title"] == 1587
    assert first["source_file_date"] == dt.date(2026, 7, 3)
    assert first["source_group_code"] == "NEW" and first["code_location"] == "kippnewark"
    assert first["school_number"] == 101 and second["school_number"] == 101


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            LINES[1].replace("07/03/2026", "2026-07-03"),
            "line 3, column 'DATE': '2026-07-03' is not a date",
        ),
        (
            LINES[1].replace(",100.00,TEAM", ",100.001,TEAM"),
            "line 3, column 'CREDIT': '100.001' is not an amount in cents",
        ),
        (
            LINES[1].replace("L-1010", "L-7777"),
            "line 3, columns 'LOCATION_ID'/'DEPT_ID': location '7777'",
        ),
        (
            LINES[1].replace("L-1010", "none"),
            "line 3, column 'LOCATION_ID': 'none' is not a number",
        ),
        (
            LINES[1].replace(",100.00,TEAM", ",90.00,TEAM"),
            "debits \\(100.00\\) and credits \\(90.00\\) differ",
        ),
    ],
)
def test_a_bad_line_names_file_line_and_column(tmp_path, config, line, message):
    path, gl = _gl(tmp_path, [LINES[0], line])
    with pytest.raises(ADPFileError, match=message):
        read_general_ledger(path, gl, "sftp://adp/payroll/x.csv", config)


def test_an_unknown_group_or_a_renamed_column_is_refused(tmp_path, config):
    path, gl = _gl(tmp_path, LINES, name="ADP_Payroll_20260703_ZZZ.csv")
    with pytest.raises(ADPFileError, match="payroll group 'ZZZ' \\(from the file name\\)"):
        read_general_ledger(path, gl, path.name, config)
    path, gl = _gl(tmp_path, LINES, HEADER.replace("ACCT_NO", "ACCOUNT"))
    with pytest.raises(ADPFileError, match="line 1: missing column\\(s\\) 'acct_no'"):
        read_general_ledger(path, gl, path.name, config)


# --- payroll against the sandbox ---------------------------------------------------------


def test_loads_every_pay_date_and_the_workers_as_the_truth_says(sandbox, settings, config):
    defs, instance = _defs(settings, config), DagsterInstance.ephemeral()
    truth = sandbox.truth()
    keys = _load_everything(defs, instance)
    served = _served(sandbox)
    assert set(keys) == set(served)
    assert len(keys) == truth["adp_gl"]["pay_dates"]
    assert sum(map(len, served.values())) == truth["adp_gl"]["files"]
    assert any(n.startswith("adp_payroll_") for names in served.values() for n in names)

    by_date = _lines_by_pay_date(settings)
    assert set(by_date) == set(keys)
    assert sum(by_date.values()) == truth["adp_gl"]["lines"]
    [(files,)] = _query(settings, "select count(*) from kipptaf_adp_payroll.general_ledger_files")
    assert files == truth["adp_gl"]["files"]
    by_school = dict(
        _query(
            settings,
            "select coalesce(cast(school_number as varchar), 'none'), count(*) "
            "from kipptaf_adp_payroll.general_ledger group by 1",
        )
    )
    assert by_school == truth["adp_gl"]["lines_by_school"]
    [(debit, credit)] = _query(
        settings,
        "select cast(sum(debit) * 100 as bigint), cast(sum(credit) * 100 as bigint) "
        "from kipptaf_adp_payroll.general_ledger",
    )
    assert debit == credit == truth["adp_gl"]["debit_cents"]

    types = dict(
        _query(
            settings,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'kipptaf_adp_payroll' and table_name = 'general_ledger'",
        )
    )
    assert types["date"] == "DATE" and types["debit"] == "DECIMAL(18,2)"

    # workers: every one, and the active ones where the truth has them
    [(workers,)] = _query(
        settings, "select count(distinct associate_oid) from kipptaf_adp_workforce_now.workers"
    )
    assert workers == truth["adp_workers"]
    active = "assignment_status_code <> 'T'"
    by_location = dict(
        _query(
            settings,
            f"select home_work_location_name, count(*) from kipptaf_adp_workforce_now.workers "
            f"where {active} group by 1",
        )
    )
    assert by_location == truth["staff_by_home_location"]
    staff_by_school = dict(
        _query(
            settings,
            "select cast(school_number as varchar), count(*) "
            "from kipptaf_adp_workforce_now.workers "
            f"where {active} and school_number is not null group by 1",
        )
    )
    assert staff_by_school == truth["active_staff_by_school"]


def test_rerunning_a_pay_date_replaces_only_its_rows(sandbox, settings, config):
    defs, instance = _defs(settings, config), DagsterInstance.ephemeral()
    keys = _load_everything(defs, instance)
    before = _lines_by_pay_date(settings)
    job = defs.resolve_implicit_global_asset_job_def()
    target = keys[len(keys) // 2]

    job.execute_in_process(asset_selection=[LEDGER], partition_key=target, instance=instance)
    assert _lines_by_pay_date(settings) == before  # a plain rerun duplicates nothing

    path = _payroll_dir(sandbox) / _served(sandbox)[target][0]
    with _restored(path):
        lines = path.read_text().splitlines()
        path.write_text("\n".join(lines[:-4]) + "\n")  # a corrected file: one employee fewer
        job.execute_in_process(asset_selection=[LEDGER], partition_key=target, instance=instance)
        after = _lines_by_pay_date(settings)
    assert after == {**before, target: before[target] - 4}
    job.execute_in_process(asset_selection=[LEDGER], partition_key=target, instance=instance)
    assert _lines_by_pay_date(settings) == before


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("malformed", r"line 3, column 'DATE': 'not-a-number' is not a date MM/DD/YYYY"),
        # cut mid-row: a short row, or (cut in the last value) no line ending
        ("truncate", r"line \d+: (expected 25 fields, found \d+|the last row has no line ending)"),
    ],
)
def test_a_bad_file_fails_naming_it_and_keeps_the_previous_rows(
    sandbox, settings, config, how, expected
):
    defs, instance = _defs(settings, config), DagsterInstance.ephemeral()
    keys = _load_everything(defs, instance)
    before = _lines_by_pay_date(settings)
    target = keys[0]
    name = _served(sandbox)[target][-1]
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
    assert f"/payroll/{name}" in message and re.search(expected, message)
    assert _lines_by_pay_date(settings) == before
    assert landed.read_bytes() == landed_bytes
    assert [p.name for p in landed.parent.iterdir()] == ["data.parquet"]


def test_two_files_of_one_group_and_pay_date_are_refused(sandbox, settings, config):
    """The same pay run twice under two spellings of the name would count it twice."""
    adp = ADPFiles(settings=settings.adp_sftp, config_file=ADP_YAML)
    pay_date = sorted(_served(sandbox))[0]
    name = _served(sandbox)[pay_date][0]
    copy = _payroll_dir(sandbox) / (
        name.replace("ADP_Payroll", "adp_payroll")
        if name.startswith("ADP")
        else name.replace("adp_payroll", "ADP_Payroll")
    )
    copy.write_bytes((_payroll_dir(sandbox) / name).read_bytes())
    try:
        with pytest.raises(ADPFileError, match=rf"pay date {pay_date} has more than one file"):
            adp.general_ledger(pay_date)
    finally:
        copy.unlink()
    assert adp.general_ledger(pay_date).table.num_rows > 0


def test_a_dropped_transfer_is_retried_then_named(sandbox, settings, config):
    adp = ADPFiles(settings=settings.adp_sftp, config_file=ADP_YAML, attempts=2, first_wait=0.05)
    pay_date = sorted(_served(sandbox))[0]
    sandbox.faults.drop_after_bytes("sftp", 5000)  # every session is cut mid-file
    try:
        with pytest.raises(SSHError, match=r"_Payroll_\d{8}_\w+\.csv: the transfer failed 2 times"):
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


def _apply(defs: Definitions, instance: DagsterInstance, requests: list[RunRequest]) -> None:
    """Do what the daemon does with run requests: launch them, in order."""
    job = defs.resolve_implicit_global_asset_job_def()
    for run in requests:
        job.execute_in_process(
            asset_selection=run.asset_selection, partition_key=run.partition_key, instance=instance
        )


def _automation(defs: Definitions, instance: DagsterInstance, cursor=None):
    """One evaluation of the location's automation conditions, as its sensor makes it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        return evaluate_automation_conditions(defs, instance, cursor=cursor)


def _ledger_runs(automation) -> list[RunRequest]:
    """The ledger partitions an automation evaluation asked for, as runs."""
    return [
        RunRequest(asset_selection=[LEDGER], partition_key=key)
        for key in sorted(automation.get_requested_partitions(LEDGER))
    ]


def _school_days_to_next_pay_date(sandbox) -> int:
    state = sandbox.state()
    as_of = dt.date.fromisoformat(state["as_of"])
    world = World(state["seed"], state["scale"], state["start_year"])
    upcoming = min(p for p in pay_dates(state["start_year"]) if p > as_of)
    later = [d for d in world.school_days if d > as_of]
    return next(i for i, d in enumerate(later, start=1) if d >= upcoming)


def test_the_listing_adds_pay_dates_and_automation_loads_each_new_one(sandbox, settings, config):
    """One writer of pay-date partitions: the folder's listing. The sensor asks for the
    listing when a pay date is new and reloads a pay date whose files changed; the
    ledger's on_missing condition loads each pay date the listing added, once."""
    defs, instance = _defs(settings, config), DagsterInstance.ephemeral()
    automation = _automation(defs, instance)
    assert automation.total_requested == 0  # nothing is a partition yet
    first = _evaluate(defs, instance)
    served = _served(sandbox)
    assert [r.asset_selection for r in first] == [[FILES]]
    assert instance.get_dynamic_partitions(PAY_DATES.name) == []  # the sensor adds none
    _apply(defs, instance, first)
    assert set(instance.get_dynamic_partitions(PAY_DATES.name)) == set(served)
    automation = _automation(defs, instance, automation.cursor)
    assert automation.get_requested_partitions(LEDGER) == set(served)
    assert automation.total_requested == len(served)
    _apply(defs, instance, _ledger_runs(automation))
    assert isinstance(_evaluate(defs, instance), SkipReason)
    automation = _automation(defs, instance, automation.cursor)
    assert automation.total_requested == 0  # each new pay date is loaded once

    # one group's file of a loaded pay date changes: that pay date runs again
    changed = _payroll_dir(sandbox) / served[sorted(served)[0]][0]
    with _restored(changed):
        stat = changed.stat()
        os.utime(changed, (stat.st_atime, stat.st_mtime + 60))
        again = _evaluate(defs, instance)
    assert [r.partition_key for r in again if r.partition_key] == [sorted(served)[0]]

    sandbox.advance(days=_school_days_to_next_pay_date(sandbox))
    [new] = set(_served(sandbox)) - set(served)

    later = _evaluate(defs, instance)
    assert [(r.asset_selection, r.partition_key) for r in later] == [([FILES], None)]
    _apply(defs, instance, later)
    assert new in instance.get_dynamic_partitions(PAY_DATES.name)
    automation = _automation(defs, instance, automation.cursor)
    assert automation.get_requested_partitions(LEDGER) == {new}
    assert automation.total_requested == 1
    _apply(defs, instance, _ledger_runs(automation))
    assert isinstance(_evaluate(defs, instance), SkipReason)
    expected = sum(
        len((_payroll_dir(sandbox) / name).read_text().splitlines()) - 1
        for name in _served(sandbox)[new]
    )
    assert _lines_by_pay_date(settings)[new] == expected


# --- Workforce Now against the sandbox ----------------------------------------------------


def _secret(sandbox, name: str) -> str:
    return (sandbox.secrets_dir / name).read_text().strip()


def _token(sandbox, settings) -> str:
    wfn = settings.adp_workforce_now
    response = httpx.post(
        wfn.token_url,
        auth=(_secret(sandbox, "adp_wfn_client_id"), _secret(sandbox, "adp_wfn_client_secret")),
        data={"grant_type": "client_credentials"},
    )
    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"
    return response.json()["access_token"]


def test_the_api_speaks_oauth_and_pages_like_adp(sandbox, settings):
    wfn = settings.adp_workforce_now
    url = f"{wfn.base_url}/hr/v2/workers"
    client_id = _secret(sandbox, "adp_wfn_client_id")
    refused = httpx.post(
        wfn.token_url, auth=(client_id, "wrong"), data={"grant_type": "client_credentials"}
    )
    assert refused.status_code == 401
    assert httpx.get(url, headers={"Authorization": "Bearer 1.forged"}).status_code == 401
    basic = base64.b64encode(f"{client_id}:x".encode()).decode()
    assert httpx.get(url, headers={"Authorization": f"Basic {basic}"}).status_code == 401

    headers = {"Authorization": f"Bearer {_token(sandbox, settings)}"}
    total = sandbox.truth()["adp_workers"]
    page = httpx.get(url, headers=headers, params={"$top": 500, "$skip": 0})
    assert len(page.json()["workers"]) == min(100, total)  # ADP serves at most 100
    seen, skip = [], 0
    while (
        page := httpx.get(url, headers=headers, params={"$top": 9, "$skip": skip})
    ).status_code == 200:
        seen += [w["associateOID"] for w in page.json()["workers"]]
        skip += 9
    assert page.status_code == 204 and page.content == b""
    assert len(seen) == len(set(seen)) == total


def test_the_workers_asset_lands_every_assignment(sandbox, settings, config):
    defs, instance = _defs(settings, config), DagsterInstance.ephemeral()
    api = WorkforceNowAPI(
        settings=settings.adp_workforce_now, config_file=ADP_YAML, retries=FAST, page_size=13
    )
    with api.connect():
        table, count = api.workers()
    assert count == sandbox.truth()["adp_workers"] == table.num_rows
    assert set(table.column("code_location").to_pylist()) == {
        "kipptaf",
        "kippnewark",
        "kippcamden",
        "kippmiami",
        "kipppaterson",
    }
    campus = [r for r in table.to_pylist() if r["home_work_location_code"] == "2010"]
    assert {r["school_number"] for r in campus} == {201, 202}

    job = defs.resolve_implicit_global_asset_job_def()
    result = job.execute_in_process(asset_selection=[WORKERS], instance=instance)
    [m] = result.asset_materializations_for_node("kipptaf__adp_workforce_now__workers")
    assert m.metadata["workers"].value == count


def test_a_burst_of_429s_is_retried_and_refused_credentials_fail_without_the_secret(
    sandbox, settings, config, tmp_path
):
    api = WorkforceNowAPI(
        settings=settings.adp_workforce_now, config_file=ADP_YAML, retries=FAST, page_size=50
    )
    sandbox.faults.http_burst("adp_workforce_now", 429, 2)
    with api.connect():
        _, count = api.workers()
    assert count == sandbox.truth()["adp_workers"]

    wrong = tmp_path / "secret"
    wrong.write_text("not-the-secret")
    bad = settings.adp_workforce_now.model_copy(update={"client_secret_file": str(wrong)})
    with (
        pytest.raises(WorkforceNowError, match="answered 401: check the client id") as info,
        WorkforceNowAPI(settings=bad, config_file=ADP_YAML, retries=FAST).connect(),
    ):
        pass
    assert "not-the-secret" not in str(info.value)
    assert _secret(sandbox, "adp_wfn_client_secret") not in str(info.value)


WORKER = {
    "associateOID": "G3TEST",
    "workerID": {"idValue": "W1"},
    "workerStatus": {"statusCode": {"codeValue": "Active"}},
    "workerDates": {"originalHireDate": "2020-08-01"},
    "person": {"legalName": {"givenName": "Ana", "familyName1": "Rivera"}},
    "workAssignments": [
        {
            "itemID": "I1",
            "positionID": "NEW000001",
            "payrollGroupCode": "NEW",
            "hireDate": "2020-08-01",
            "assignmentStatus": {"statusCode": {"codeValue": "A", "shortName": "Active"}},
            "homeWorkLocation": {"nameCode": {"codeValue": "2010", "longName": "Campus"}},
            "homeOrganizationalUnits": [
                {"nameCode": {"codeValue": "2021"}, "typeCode": {"codeValue": "Department"}},
                {"nameCode": {"codeValue": "TEAM"}, "typeCode": {"codeValue": "BusinessUnit"}},
            ],
        }
    ],
}


def _with(path: list, value) -> dict:
    worker = json.loads(json.dumps(WORKER))
    target = worker
    for part in path[:-1]:
        target = target[part]
    if value is None:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return worker


def test_a_worker_is_flattened_with_its_department_and_crosswalk(config):
    [row] = worker_rows(WORKER, config, "page")
    assert row["school_number"] == 202 and row["home_department_code"] == "2021"
    assert row["home_business_unit_code"] == "TEAM" and row["code_location"] == "kippnewark"
    assert row["assignment_status_name"] == "Active"  # the short name when no long one
    assert row["hire_date"] == dt.date(2020, 8, 1) and row["termination_date"] is None


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ["workAssignments", 0, "hireDate"],
            "08/01/2020",
            "workAssignments\\[0\\].hireDate: '08/01/2020' is not a date",
        ),
        (
            ["workAssignments", 0, "positionID"],
            None,
            "workAssignments\\[\\].positionID: a value is required",
        ),
        (["workAssignments", 0, "payrollGroupCode"], "ZZZ", "payrollGroupCode: 'ZZZ' is not in"),
        (
            ["workAssignments", 0, "homeWorkLocation", "nameCode", "codeValue"],
            "7777",
            "location '7777' is not in",
        ),
        (
            ["workAssignments", 0, "homeWorkLocation"],
            [1],
            "the value holding nameCode is not a JSON object",
        ),
        (
            ["workerStatus", "statusCode", "codeValue"],
            1,
            "workerStatus.statusCode.codeValue: 1 is not a JSON string",
        ),
    ],
)
def test_a_bad_worker_names_page_worker_and_field(config, path, value, message):
    with pytest.raises(WorkforceNowError, match="^page, worker 'G3TEST', field .*" + message):
        worker_rows(_with(path, value), config, "page")


def test_a_field_no_worker_has_fails_the_load(sandbox, settings, config, tmp_path):
    """ADP renaming a field must not land an empty column: the served workers lose their
    work e-mail, and the load refuses them."""
    served = sandbox.root / "http" / "adp_workforce_now" / "workers.json"
    with _restored(served):
        workers = json.loads(served.read_text())
        for w in workers:
            w.pop("businessCommunication")
        served.write_text(json.dumps(workers))
        api = WorkforceNowAPI(
            settings=settings.adp_workforce_now, config_file=ADP_YAML, retries=FAST
        )
        with (
            pytest.raises(WorkforceNowError, match="no worker has businessCommunication"),
            api.connect(),
        ):
            api.workers()
