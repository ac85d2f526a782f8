"""DeansList client, config and assets against the sandbox's DeansList server.

The sandbox serves DeansList's own shapes: per-school keys by DeansList school id, date
windows, deleted incidents apart, behaviour in pages. Where a test needs an answer the
sandbox never gives (a row of an unknown school, pages that disagree), it serves a
changed copy of the sandbox's files, or a vendor that misbehaves, from a real HTTP
server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shutil
import socket
import threading
import traceback
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import duckdb
import httpx
import pyarrow as pa
import pytest
from dagster import AssetKey, DagsterInstance, build_schedule_context, materialize

from sandbox.http import start_http
from support import fast_retries, logged_waits
from teamster.core.http import Retries
from teamster.core.locations import load_definitions
from teamster.core.regions import REGIONS, REGISTRY
from teamster.core.resources import shared_resources
from teamster.core.settings import SettingsError
from teamster.libraries.deanslist.assets import build_deanslist_assets, months
from teamster.libraries.deanslist.config import DeansListConfig, load_deanslist_config
from teamster.libraries.deanslist.resources import (
    DeansListAPI,
    DeansListAuthError,
    DeansListError,
    Window,
    read_incidents,
)
from teamster.libraries.deanslist.schedules import fiscal_year_key
from teamster.libraries.deanslist.schema import arrow_schema, to_batch

CONFIG_DIR = Path(__file__).parents[4] / "src" / "teamster" / "code_locations"
ENDPOINTS = ("incidents", "behavior")

# The raw-table interface agreed with the deanslist dbt package.
INTERFACE = {
    "incidents": [
        ("incident_id", pa.int64()),
        ("school_id", pa.int64()),
        ("student_id", pa.int64()),
        ("student_school_id", pa.string()),
        ("category", pa.string()),
        ("category_id", pa.int64()),
        ("infraction", pa.string()),
        ("infraction_type_id", pa.int64()),
        ("location", pa.string()),
        ("location_id", pa.int64()),
        ("status", pa.string()),
        ("status_id", pa.int64()),
        ("is_active", pa.bool_()),
        ("is_referral", pa.bool_()),
        ("issue_ts", pa.timestamp("us")),
        ("issue_date", pa.date32()),
        ("create_ts", pa.timestamp("us")),
        ("update_ts", pa.timestamp("us")),
        ("close_ts", pa.timestamp("us")),
        ("dl_last_update", pa.timestamp("us")),
        ("school_number", pa.int64()),
        ("is_deleted", pa.bool_()),
        ("fiscal_year", pa.int64()),
    ],
    "behavior": [
        ("dlsaid", pa.int64()),
        ("behavior_id", pa.int64()),
        ("dl_school_id", pa.int64()),
        ("dl_student_id", pa.int64()),
        ("student_school_id", pa.string()),
        ("behavior_date", pa.date32()),
        ("behavior", pa.string()),
        ("behavior_category", pa.string()),
        ("point_value", pa.int64()),
        ("roster", pa.string()),
        ("roster_id", pa.int64()),
        ("dl_last_update", pa.timestamp("us")),
        ("school_number", pa.int64()),
        ("fiscal_year", pa.int64()),
    ],
}


def _api(settings, attempts: int = 6) -> DeansListAPI:
    return DeansListAPI(settings=settings.deanslist, retries=fast_retries(attempts))


def _config(location: str) -> DeansListConfig:
    return load_deanslist_config(
        CONFIG_DIR / location / "config" / "deanslist.yaml", REGISTRY.region(location).timezone
    )


def _keys(settings) -> dict[str, str]:
    return json.loads(Path(settings.deanslist.keys_file).read_text())


def _query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return con.execute(sql).fetchall()


def _year(sandbox) -> int:
    return sandbox.state()["start_year"]


def _served(sandbox, school: int, endpoint: str) -> list[dict]:
    return json.loads(
        (sandbox.root / "http" / "deanslist" / str(school) / f"{endpoint}.json").read_text()
    )


# --- config -----------------------------------------------------------------------------


def test_declared_schemas_are_the_interface():
    for endpoint, columns in INTERFACE.items():
        assert arrow_schema(endpoint) == pa.schema(columns)


def test_each_region_config_is_the_crosswalk_the_sandbox_issues(sandbox, settings):
    """The checked-in crosswalks name exactly the DeansList schools the sandbox serves,
    and the keys file holds a key for each (keyed by DeansList id)."""
    truth = sandbox.truth()["deanslist_crosswalk"]
    for location in REGIONS:
        crosswalk = {str(k): v for k, v in _config(location).crosswalk.items()}
        assert crosswalk == truth[location], location
    listed = [s for loc in REGIONS for s in _config(loc).school_ids]
    assert sorted(str(s) for s in listed) == sorted(_keys(settings))


@pytest.mark.parametrize(
    "body, message",
    [
        ("schools: []", "list at least one school"),
        (
            "schools: [{deanslist_school_id: 5, school_number: 1},"
            " {deanslist_school_id: 5, school_number: 2}]",
            r"listed twice: \[5\]",
        ),
        ("schools: [{deanslist_school_id: 5}]", "school_number"),
        ("schools: [{deanslist_school_id: 5, school_numbr: 1}]", "school_numbr"),
        ("schools: [{deanslist_school_id: -5, school_number: 1}]", "greater than 0"),
        (
            "first_fiscal_year: 2025-08-01\n"
            "  schools: [{deanslist_school_id: 5, school_number: 1}]",
            "starts on July 1",
        ),
    ],
)
def test_a_bad_config_names_its_file(tmp_path, body, message):
    path = tmp_path / "deanslist.yaml"
    path.write_text(f"deanslist:\n  {body}\n")
    with pytest.raises(SettingsError, match=message) as info:
        load_deanslist_config(path, "America/New_York")
    assert str(path) in str(info.value)


def test_the_time_zone_is_the_registrys_alone(tmp_path):
    """A region's clock is set once, in locations.yaml: a config that sets it too is
    refused rather than one of the two silently winning."""
    path = tmp_path / "deanslist.yaml"
    path.write_text(
        "deanslist:\n  timezone: America/Chicago\n"
        "  schools: [{deanslist_school_id: 5, school_number: 1}]\n"
    )
    with pytest.raises(SettingsError, match="timezone is the region's") as info:
        load_deanslist_config(path, "America/New_York")
    assert str(path) in str(info.value) and "locations.yaml" in str(info.value)
    path.write_text("deanslist:\n  schools: [{deanslist_school_id: 5, school_number: 1}]\n")
    assert load_deanslist_config(path, "America/Chicago").timezone == "America/Chicago"


# --- loading every region -----------------------------------------------------------------


def _materialize(location: str, partition: str, instance: DagsterInstance):
    keys = [AssetKey([location, "deanslist", e]) for e in ENDPOINTS]
    job = load_definitions(location).resolve_implicit_global_asset_job_def()
    return job.execute_in_process(asset_selection=keys, partition_key=partition, instance=instance)


def test_every_region_lands_its_truth_per_school(sandbox, settings):
    sandbox.faults.http_burst("deanslist", 500, 2)  # the assets' own retries get through it
    truth = sandbox.truth()
    partition = f"{_year(sandbox)}-07-01"
    for location in REGIONS:
        result = _materialize(location, partition, DagsterInstance.ephemeral())
        expected = truth["deanslist_by_region"][location]
        [(live, deleted)] = _query(
            settings,
            f"select count(*) filter (where not is_deleted), count(*) filter (where is_deleted) "
            f"from {location}_deanslist.incidents",
        )
        assert (live, deleted) == (expected["incidents"], expected["incidents_deleted"])
        # a deleted incident is flagged, and DeansList marks it inactive too
        assert _query(
            settings,
            f"select count(*) from {location}_deanslist.incidents where is_deleted = is_active",
        ) == [(0,)]
        by_school = dict(
            _query(
                settings,
                f"select school_number, count(*) from {location}_deanslist.behavior group by 1",
            )
        )
        incidents_by_school = dict(
            _query(
                settings,
                f"select school_number, count(*) from {location}_deanslist.incidents "
                "where not is_deleted group by 1",
            )
        )
        for school, counts in truth["deanslist_by_school"][location].items():
            assert by_school.get(int(school), 0) == counts["behavior"], (location, school)
            assert incidents_by_school.get(int(school), 0) == counts["incidents"], school
        for endpoint in ENDPOINTS:
            [m] = result.asset_materializations_for_node(f"{location}__deanslist__{endpoint}")
            rows = expected["behavior"] if endpoint == "behavior" else live + deleted
            assert m.metadata["dagster/row_count"].value == rows
            assert sum(m.metadata["rows_by_deanslist_school"].value.values()) == rows
            assert not any(k in str(m.metadata) for k in _keys(settings).values())
    assert sandbox.faults.read()["http"]["deanslist"]["remaining"] == 0


def test_a_partition_replaces_only_its_own_year(sandbox, settings):
    """Rerunning this year replaces its rows; loading last year (empty in the sandbox)
    leaves this year's rows alone."""
    instance = DagsterInstance.ephemeral()
    year = _year(sandbox)
    expected = sandbox.truth()["deanslist_by_region"]["kippcamden"]
    for partition in (f"{year}-07-01", f"{year}-07-01", f"{year - 1}-07-01"):
        _materialize("kippcamden", partition, instance)
    rows = _query(
        settings,
        "select fiscal_year, count(*), count(distinct incident_id) "
        "from kippcamden_deanslist.incidents group by 1",
    )
    total = expected["incidents"] + expected["incidents_deleted"]
    assert rows == [(year, total, total)]
    assert _query(settings, "select count(*) from kippcamden_deanslist.behavior") == [
        (expected["behavior"],)
    ]


def test_times_land_in_utc_from_the_zone_deanslist_states(sandbox, settings):
    """An incident's IssueTS is a wall-clock time with its zone: it lands in UTC, and
    its date is the day on the school's clock."""
    config = _config("kippmiami")
    school = config.school_ids[0]
    rows = [i for i in _served(sandbox, school, "incidents") if i["IsActive"]]
    assert rows, "the sandbox serves incidents for this school"
    served = rows[0]["IssueTS"]
    batch = to_batch(
        "incidents", rows[:1], where="test", config=config, fiscal_year=_year(sandbox)
    ).to_pylist()[0]
    local = dt.datetime.fromisoformat(served["date"]).replace(tzinfo=ZoneInfo(served["timezone"]))
    assert batch["issue_ts"] == local.astimezone(dt.UTC).replace(tzinfo=None)
    assert batch["issue_date"] == local.date()
    assert batch["school_number"] == config.crosswalk[school]


# --- the client -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500])
def test_bursts_are_retried(sandbox, settings, status, caplog):
    caplog.set_level(logging.INFO, logger="teamster.core.http")
    sandbox.faults.http_burst("deanslist", status, 3)
    config = _config("kippmiami")
    year = _year(sandbox)
    with _api(settings).connect(config.school_ids) as session:
        rows = [
            r
            for s in config.school_ids
            for r in session.behavior(s, Window(dt.date(year, 7, 1), dt.date(year + 1, 6, 30)), 3)
        ]
    assert len(rows) == sandbox.truth()["deanslist_by_region"]["kippmiami"]["behavior"]
    assert sandbox.faults.read()["http"]["deanslist"]["remaining"] == 0
    waits = logged_waits(caplog)
    assert [attempt for attempt, _ in waits] == [1, 2, 3]
    retries = fast_retries(6)
    for attempt, wait in waits:
        low = min(retries.first_wait * 2 ** (attempt - 1), retries.max_wait)
        if status == 429:  # the sandbox asks for 1 s; the longest wait caps it
            low = retries.max_wait
        high = min(low + retries.first_wait, retries.max_wait)
        assert low <= wait <= high, (attempt, wait)


def test_pages_are_read_until_total_pages(sandbox, settings):
    school = _config("kippnewark").school_ids[0]
    year = _year(sandbox)
    window = Window(dt.date(year, 7, 1), dt.date(year + 1, 6, 30))
    served = _served(sandbox, school, "behavior")
    with _api(settings).connect([school]) as session:
        for size in (1, 4, len(served), 10_000):
            rows = session.behavior(school, window, size)
            assert [r["DLSAID"] for r in rows] == [r["DLSAID"] for r in served], size


def test_burst_longer_than_the_retries_fails_without_the_key(sandbox, settings):
    school = _config("kippnewark").school_ids[0]
    sandbox.faults.http_burst("deanslist", 500, 5)
    try:
        with (
            pytest.raises(DeansListError) as info,
            _api(settings, 3).connect([school]) as session,
        ):
            session.incidents(school, Window(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
        remaining = sandbox.faults.read()["http"]["deanslist"]["remaining"]
    finally:
        sandbox.faults.http_burst("deanslist", 500, 0)
    assert type(info.value) is DeansListError
    assert str(info.value) == (
        f"DeansList /api/v1/incidents for school {school} at {settings.deanslist.base_url} "
        "still answered HTTP 500 after 3 attempts"
    )
    assert remaining == 2  # exactly three requests of the five-long burst
    assert _keys(settings)[str(school)] not in "".join(traceback.format_exception(info.value))


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_api_is_named_after_the_retries(settings, caplog):
    caplog.set_level(logging.INFO, logger="teamster.core.http")
    school = _config("kippnewark").school_ids[0]
    url = f"http://127.0.0.1:{_closed_port()}"
    api = DeansListAPI(
        settings=settings.deanslist.model_copy(update={"base_url": url}), retries=fast_retries(2)
    )
    with pytest.raises(DeansListError) as info, api.connect([school]) as session:
        session.incidents(school, Window(dt.date(2026, 10, 1), dt.date(2026, 10, 31)))
    assert type(info.value) is DeansListError
    assert str(info.value) == (
        f"DeansList /api/v1/incidents for school {school} at {url}: cannot connect "
        "(ConnectError) after 2 attempts"
    )
    assert [attempt for attempt, _ in logged_waits(caplog)] == [1]
    assert _keys(settings)[str(school)] not in "".join(traceback.format_exception(info.value))


def _wrong_keys(settings, tmp_path: Path, school: int) -> tuple[Path, str]:
    keys = _keys(settings)
    wrong = keys[str(school)][::-1]
    keys[str(school)] = wrong
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys))
    return path, wrong


def test_bad_key_fails_at_once_and_never_shows_the_key(sandbox, settings, tmp_path, caplog):
    first, second = _config("kippnewark").school_ids[:2]
    path, wrong = _wrong_keys(settings, tmp_path, second)
    api = DeansListAPI(settings=settings.deanslist.model_copy(update={"keys_file": str(path)}))
    caplog.set_level(logging.DEBUG)
    window = Window(dt.date(2026, 10, 1), dt.date(2026, 10, 31))
    with pytest.raises(DeansListAuthError) as info, api.connect([first, second]) as session:
        session.incidents(first, window)
        session.incidents(second, window)
    assert type(info.value) is DeansListAuthError
    assert str(info.value) == (
        f"DeansList /api/v1/incidents for school {second} at {settings.deanslist.base_url} "
        f"answered 401: the school's key was refused; check the entry for {second} in {path}"
    )
    assert logged_waits(caplog) == []  # one request per school: a refused key is never asked again
    secrets = [wrong, _keys(settings)[str(first)], _keys(settings)[str(second)]]
    assert not any(s in str(info.value) for s in secrets)
    shown = "".join(traceback.format_exception(info.value))  # with any chained exception
    assert not any(s in shown for s in secrets)
    assert any("apikey=***" in r.getMessage() for r in caplog.records)  # httpx logged, blanked
    assert not any(s in r.getMessage() for r in caplog.records for s in secrets)


def test_school_without_a_key_is_named(settings, tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"473": "k1"}))
    api = DeansListAPI(settings=settings.deanslist.model_copy(update={"keys_file": str(path)}))
    with (
        pytest.raises(DeansListError, match="has no key for DeansList school\\(s\\) 476"),
        api.connect([473, 476]),
    ):
        pass


def test_an_unreadable_keys_file_is_named(settings, tmp_path):
    """A keys file that is a folder (a volume mounted at the wrong path) is our error."""
    api = DeansListAPI(settings=settings.deanslist.model_copy(update={"keys_file": str(tmp_path)}))
    with pytest.raises(DeansListError) as info, api.connect([473]):
        pass
    assert type(info.value) is DeansListError
    assert str(info.value) == f"DeansList keys file {tmp_path} cannot be read (IsADirectoryError)"


def test_answer_counts_are_checked(sandbox, settings):
    """The counts an incidents answer reports must match the rows it holds."""
    school = _config("kippnewark").school_ids[0]
    url = f"{settings.deanslist.base_url}/api/v1/incidents"
    body = httpx.get(
        url, params={"apikey": _keys(settings)[str(school)], "IncludeDeleted": "Y"}
    ).json()
    assert read_incidents(body, "here").live == body["data"]
    for name in ("rowcount", "deleted_rowcount"):
        short = {**body, name: body[name] + 1}
        with pytest.raises(DeansListError, match=f"here: `{name}` says"):
            read_incidents(short, "here")
    with pytest.raises(DeansListError, match="no `deleted_data` list"):
        read_incidents({k: v for k, v in body.items() if k != "deleted_data"}, "here")


class _ShiftingPages(BaseHTTPRequestHandler):
    """A vendor whose data changes between pages: page 1 says 3 rows, page 2 says 2."""

    def do_GET(self) -> None:
        page = int(parse_qs(urlsplit(self.path).query)["page"][0])
        rows = [{"DLSAID": str(page)}] if page <= 2 else []
        body = {"total_count": 3 if page == 1 else 2, "total_pages": 2, "data": rows}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def shifting_vendor() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ShiftingPages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_pages_that_disagree_fail(settings, tmp_path, shifting_vendor):
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps({"473": "k"}))
    api = DeansListAPI(
        settings=settings.deanslist.model_copy(
            update={"base_url": shifting_vendor, "keys_file": str(keys)}
        )
    )
    with (
        pytest.raises(DeansListError, match="page 2 reports 2 rows in 2 pages, page 1 reported 3"),
        api.connect([473]) as session,
    ):
        session.behavior(473, Window(dt.date(2026, 7, 1), dt.date(2027, 6, 30)), 1)


# --- bad rows and the crosswalk -------------------------------------------------------------


def _served_copy(sandbox, tmp_path: Path) -> Path:
    """A sandbox dir holding a copy of the served DeansList files and keys."""
    root = tmp_path / "root"
    shutil.copytree(sandbox.root / "http" / "deanslist", root / "http" / "deanslist")
    (root / "secrets").mkdir()
    shutil.copy(sandbox.root / "secrets" / "deanslist_keys.json", root / "secrets")
    return root


def test_a_school_missing_from_the_crosswalk_fails_the_load_naming_it(sandbox, settings, tmp_path):
    """A row naming a DeansList school the region's crosswalk lacks fails the load (and
    lands nothing) instead of landing a null school."""
    location = "kippcamden"
    config = _config(location)
    school = config.school_ids[0]
    partition = f"{_year(sandbox)}-07-01"
    assets = [a for a in build_deanslist_assets(location, config) if "behavior" in str(a.key)]
    resources = {**shared_resources(settings), "deanslist": _api(settings)}
    instance = DagsterInstance.ephemeral()
    materialize(assets, partition_key=partition, resources=resources, instance=instance)
    before = _query(settings, f"select count(*) from {location}_deanslist.behavior")
    root = _served_copy(sandbox, tmp_path)
    path = root / "http" / "deanslist" / str(school) / "behavior.json"
    rows = json.loads(path.read_text())
    rows[-1]["DLSchoolID"] = "999"
    path.write_text(json.dumps(rows))
    server = start_http("deanslist", 0, root)
    try:
        api = DeansListAPI(
            settings=settings.deanslist.model_copy(
                update={
                    "base_url": f"http://127.0.0.1:{server.port}",
                    "keys_file": str(root / "secrets" / "deanslist_keys.json"),
                }
            ),
            retries=Retries(attempts=2, first_wait=0.05, max_wait=0.1),
        )
        result = materialize(
            assets,
            partition_key=partition,
            resources={**resources, "deanslist": api},
            instance=instance,
            raise_on_error=False,
        )
    finally:
        server.stop()
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message, error = "", failure.step_failure_data.error
    while error is not None:  # the IO manager's error wraps ours
        message, error = message + error.message, error.cause
    assert f"row {len(rows)} (DLSAID '{rows[-1]['DLSAID']}')" in message
    assert "field 'DLSchoolID': DeansList school 999 is not in the crosswalk" in message
    assert config.source in message and config.source.endswith("config/deanslist.yaml")
    assert _query(settings, f"select count(*) from {location}_deanslist.behavior") == before


def test_a_bad_value_names_school_window_row_and_field(sandbox):
    config = _config("kippnewark")
    rows = [dict(r) for r in _served(sandbox, config.school_ids[0], "behavior")[:2]]
    where = "DeansList /api/v1/behavior for school 473, 2026-07-01..2027-06-30"
    good = to_batch("behavior", rows, where=where, config=config, fiscal_year=2026)
    assert good.num_rows == 2
    bad = [rows[0], {**rows[1], "BehaviorDate": "10/05/2026"}]
    with pytest.raises(
        DeansListError,
        match=rf"{where}, row 2 \(DLSAID '{rows[1]['DLSAID']}'\), field 'BehaviorDate': "
        r"'10/05/2026' is not a date YYYY-MM-DD",
    ):
        to_batch("behavior", bad, where=where, config=config, fiscal_year=2026)
    missing = [rows[0], {k: v for k, v in rows[1].items() if k != "PointValue"}]
    with pytest.raises(DeansListError, match="row 2 .*field 'PointValue' is missing"):
        to_batch("behavior", missing, where=where, config=config, fiscal_year=2026)
    renamed = [{("Points" if k == "PointValue" else k): v for k, v in r.items()} for r in rows]
    with pytest.raises(DeansListError, match="row 1 .*field 'PointValue' is missing"):
        to_batch("behavior", renamed, where=where, config=config, fiscal_year=2026)


@pytest.mark.parametrize(
    "change, message",
    [
        ({"IssueTS": {"date": "2026-10-05 11:00:00.000000"}}, "a time zone of type 3"),
        (
            {"IssueTS": {"date": "2026-10-05", "timezone_type": 3, "timezone": "UTC"}},
            "a time YYYY-MM-DD HH:MM:SS",
        ),
        (
            {
                "IssueTS": {
                    "date": "2026-10-05 11:00:00.000000",
                    "timezone_type": 2,
                    "timezone": "EST",
                }
            },
            "a time zone of type 3",
        ),
        ({"IsActive": "1"}, "true or false"),
        ({"IncidentID": "12a"}, "a whole number"),
        ({"CreateTS": None}, "is empty"),
    ],
)
def test_a_bad_incident_value_is_named(sandbox, change, message):
    config = _config("kippnewark")
    row = _served(sandbox, config.school_ids[0], "incidents")[0]
    assert to_batch("incidents", [row], where="w", config=config, fiscal_year=2026).num_rows == 1
    field = next(iter(change))
    with pytest.raises(DeansListError, match=rf"row 1 .*field '{field}'.*{message}"):
        to_batch("incidents", [{**row, **change}], where="w", config=config, fiscal_year=2026)


def test_an_offset_zone_is_placed(sandbox):
    config = _config("kippnewark")
    row = _served(sandbox, config.school_ids[0], "incidents")[0]
    row["IssueTS"] = {
        "date": "2026-10-05 23:30:00.000000",
        "timezone_type": 1,
        "timezone": "-04:00",
    }
    got = to_batch("incidents", [row], where="w", config=config, fiscal_year=2026).to_pylist()[0]
    assert got["issue_ts"] == dt.datetime(2026, 10, 6, 3, 30)
    assert got["issue_date"] == dt.date(2026, 10, 5)


@pytest.mark.parametrize(
    "text, utc",
    [
        ("2026-10-05 08:00:00", dt.datetime(2026, 10, 5, 12)),  # the region's clock (EDT)
        ("2026-10-05 08:00:00-04:00", dt.datetime(2026, 10, 5, 12)),
        ("2026-10-05 08:00:00+02:00", dt.datetime(2026, 10, 5, 6)),
        ("2026-10-05 08:00:00Z", dt.datetime(2026, 10, 5, 8)),
        ("2026-10-05T08:00:00.250000Z", dt.datetime(2026, 10, 5, 8, 0, 0, 250000)),
    ],
)
def test_a_stated_offset_is_converted_not_dropped(sandbox, text, utc):
    """A plain-text time is on the region's clock unless it states its own offset; then
    that offset places it."""
    config = _config("kippnewark")
    row = {**_served(sandbox, config.school_ids[0], "behavior")[0], "DL_LASTUPDATE": text}
    got = to_batch("behavior", [row], where="w", config=config, fiscal_year=2026).to_pylist()
    assert got[0]["dl_last_update"] == utc


def test_a_date_objects_own_offset_is_converted(sandbox):
    config = _config("kippnewark")
    row = _served(sandbox, config.school_ids[0], "incidents")[0]
    row["IssueTS"] = {
        "date": "2026-10-06 01:30:00.000000Z",
        "timezone_type": 3,
        "timezone": "America/New_York",
    }
    got = to_batch("incidents", [row], where="w", config=config, fiscal_year=2026).to_pylist()[0]
    assert got["issue_ts"] == dt.datetime(2026, 10, 6, 1, 30)
    assert got["issue_date"] == dt.date(2026, 10, 5)  # 21:30 the evening before, in Newark


@pytest.mark.parametrize(
    "endpoint, field, value, expected",
    [
        ("behavior", "BehaviorDate", "2026-10-05garbage", "a date YYYY-MM-DD"),
        ("behavior", "BehaviorDate", "2026-10-05 ", "a date YYYY-MM-DD"),
        ("behavior", "DL_LASTUPDATE", "2026-10-05 08:00:00garbage", "a time YYYY-MM-DD HH:MM:SS"),
        ("behavior", "DL_LASTUPDATE", "2026-10-05 08:00:00-04", "a time YYYY-MM-DD HH:MM:SS"),
        (
            "incidents",
            "IssueTS",
            {"date": "2026-10-05 11:00:00.000000x", "timezone_type": 3, "timezone": "UTC"},
            "a time YYYY-MM-DD HH:MM:SS",
        ),
    ],
)
def test_trailing_garbage_is_refused(sandbox, endpoint, field, value, expected):
    config = _config("kippnewark")
    row = {**_served(sandbox, config.school_ids[0], endpoint)[0], field: value}
    with pytest.raises(DeansListError) as info:
        to_batch(endpoint, [row], where="w", config=config, fiscal_year=2026)
    assert type(info.value) is DeansListError
    assert f"field {field!r}: {value!r} is not {expected}" in str(info.value)


def test_failed_load_keeps_the_previous_table(sandbox, settings, tmp_path):
    """The last school's key is refused after the others were read: nothing lands."""
    location, config = "kippnewark", _config("kippnewark")
    partition = f"{_year(sandbox)}-07-01"
    assets = build_deanslist_assets(location, config)
    resources = {**shared_resources(settings), "deanslist": _api(settings)}
    materialize(
        assets, partition_key=partition, resources=resources, instance=DagsterInstance.ephemeral()
    )
    before = _query(settings, "select count(*) from kippnewark_deanslist.behavior")
    landed = (
        settings.landing.root
        / "kippnewark"
        / "deanslist"
        / "behavior"
        / f"fiscal_year={partition}"
        / "data.parquet"
    )
    good = landed.read_bytes()

    path, _ = _wrong_keys(settings, tmp_path, config.school_ids[-1])
    api = DeansListAPI(settings=settings.deanslist.model_copy(update={"keys_file": str(path)}))
    result = materialize(
        assets,
        partition_key=partition,
        resources={**resources, "deanslist": api},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    assert _query(settings, "select count(*) from kippnewark_deanslist.behavior") == before
    assert before[0][0] > 0
    assert landed.read_bytes() == good
    assert [p.name for p in landed.parent.iterdir()] == ["data.parquet"]  # no partial file


# --- windows and the schedule ---------------------------------------------------------------


def test_incidents_are_read_a_month_at_a_time():
    windows = months(2026)
    assert [(w.start, w.end) for w in (windows[0], windows[5], windows[7], windows[-1])] == [
        (dt.date(2026, 7, 1), dt.date(2026, 7, 31)),
        (dt.date(2026, 12, 1), dt.date(2026, 12, 31)),
        (dt.date(2027, 2, 1), dt.date(2027, 2, 28)),
        (dt.date(2027, 6, 1), dt.date(2027, 6, 30)),
    ]
    days = sum((w.end - w.start).days + 1 for w in windows)
    assert days == (dt.date(2027, 7, 1) - dt.date(2026, 7, 1)).days  # no gap, no overlap


@pytest.mark.parametrize(
    "day, key",
    [
        (dt.date(2026, 7, 1), "2026-07-01"),
        (dt.date(2027, 6, 30), "2026-07-01"),
        (dt.date(2026, 12, 2), "2026-07-01"),
    ],
)
def test_the_nightly_schedule_reloads_the_school_year_in_progress(day, key):
    assert fiscal_year_key(day) == key
    defs = load_definitions("kippnewark")
    schedule = defs.resolve_schedule_def("kippnewark__deanslist__nightly")
    moment = dt.datetime.combine(day, dt.time(3), tzinfo=ZoneInfo("America/New_York"))
    with build_schedule_context(
        scheduled_execution_time=moment, repository_def=defs.get_repository_def()
    ) as context:
        [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == key
    assert {k.path[-1] for k in request.asset_selection or []} <= {"incidents", "behavior"}
