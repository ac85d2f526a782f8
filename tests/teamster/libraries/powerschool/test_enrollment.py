"""The Enrollment API client, assets and daily schedule against the sandbox's server.

The sandbox serves the vendor's shapes: API-key basic auth, published actions as a
plain list, records in pages with ``pageCount``/``recordCount`` metadata. A vendor that
misbehaves (pages that disagree, counts that do not add up) is a small real HTTP server
on 127.0.0.1 in this module.
"""

import datetime
import json
import logging
import socket
import threading
import traceback
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import duckdb
import httpx
import pytest
from dagster import DagsterInstance, build_schedule_context

from sandbox.expected import district_of
from support import fast_retries, logged_waits
from teamster.core.http import Retries
from teamster.core.locations import load_definitions
from teamster.libraries.powerschool.enrollment.assets import ACTIONS, ACTIONS_KEY, RECORDS_KEY
from teamster.libraries.powerschool.enrollment.resources import (
    EnrollmentAPI,
    EnrollmentAuthError,
    EnrollmentError,
    read_page,
)
from teamster.libraries.powerschool.enrollment.schedules import first_year, is_open
from teamster.libraries.powerschool.enrollment.schema import (
    RECORD_FIELDS,
    RECORDS_SCHEMA,
    record_batches,
    to_batch,
)


def _api(settings, attempts: int = 6) -> EnrollmentAPI:
    return EnrollmentAPI(settings=settings.enrollment, retries=fast_retries(attempts))


def _backoff(retries: Retries, attempt: int) -> tuple[float, float]:
    """The range the wait after failed ``attempt`` must fall in: doubling from the first
    wait, plus up to one first wait of jitter, never past the longest."""
    low = retries.first_wait * 2 ** (attempt - 1)
    return min(low, retries.max_wait), min(low + retries.first_wait, retries.max_wait)


def _key(settings) -> str:
    return Path(settings.enrollment.api_key_file).read_text().strip()


def _served_page(settings, action: int, page: int = 1, pagesize: int = 50) -> dict:
    """One page as the sandbox serves it, read with a plain HTTP client."""
    url = f"{settings.enrollment.base_url}/api/v1/publishedactions/{action}/submissionrecords"
    params = {"page": page, "pagesize": pagesize}
    return httpx.get(url, params=params, auth=(_key(settings), "")).json()


def test_pages_every_record(sandbox, settings):
    truth = sandbox.truth()
    with _api(settings).connect() as api:
        actions = api.published_actions()
        for action in actions[:3]:
            rows = [r for page in api.submission_records(action["id"], page_size=9) for r in page]
            assert len(rows) == truth["enrollment_records_by_action"][str(action["id"])]
            assert len({r["id"] for r in rows}) == len(rows)
    assert {str(a["id"]) for a in actions} == set(truth["enrollment_records_by_action"])


def test_a_page_is_read_by_shape(sandbox, settings):
    """The paging metadata and the records are found by type, whatever the vendor names
    the two members; anything else is refused."""
    body = _served_page(settings, 1, pagesize=5)
    page = read_page(body, "here")
    assert page.records == body["records"] and page.record_count == body["metadata"]["recordCount"]
    renamed = {"paging": body["metadata"], "items": body["records"]}
    assert read_page(renamed, "here") == page
    with pytest.raises(EnrollmentError, match="here: expected one metadata object"):
        read_page({**body, "more": []}, "here")
    with pytest.raises(EnrollmentError, match="`pageCount` is None, not a count"):
        read_page({"metadata": {"recordCount": 3}, "records": []}, "here")
    with pytest.raises(EnrollmentError, match="`recordCount` is '3', not a count"):
        read_page({"metadata": {"pageCount": 1, "recordCount": "3"}, "records": []}, "here")


@pytest.mark.parametrize("status", [429, 500])
def test_bursts_are_retried(sandbox, settings, status, caplog):
    caplog.set_level(logging.INFO, logger="teamster.core.http")
    sandbox.faults.http_burst("enrollment", status, 3)
    with _api(settings).connect() as api:
        actions = api.published_actions()
    assert {str(a["id"]) for a in actions} == set(sandbox.truth()["enrollment_records_by_action"])
    assert sandbox.faults.read()["http"]["enrollment"]["remaining"] == 0
    waits = logged_waits(caplog)
    assert [attempt for attempt, _ in waits] == [1, 2, 3]  # three refusals, three retries
    for attempt, wait in waits:
        low, high = _backoff(fast_retries(6), attempt)
        assert low <= wait <= high, (attempt, wait)


def test_burst_longer_than_the_retries_fails(sandbox, settings, caplog):
    caplog.set_level(logging.INFO, logger="teamster.core.http")
    sandbox.faults.http_burst("enrollment", 500, 5)
    try:
        with pytest.raises(EnrollmentError) as info, _api(settings, 3).connect() as api:
            api.published_actions()
        remaining = sandbox.faults.read()["http"]["enrollment"]["remaining"]
    finally:
        sandbox.faults.http_burst("enrollment", 500, 0)
    assert type(info.value) is EnrollmentError
    assert str(info.value) == (
        f"Enrollment API /api/v1/publishedactions at {settings.enrollment.base_url} still "
        "answered HTTP 500 after 3 attempts"
    )
    assert remaining == 2  # exactly three requests of the five-long burst
    assert [attempt for attempt, _ in logged_waits(caplog)] == [1, 2]


def test_wrong_key_fails_at_once_and_is_never_shown(sandbox, settings, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="teamster.core.http")
    wrong = tmp_path / "key"
    wrong.write_text("not-the-key")
    api = EnrollmentAPI(
        settings=settings.enrollment.model_copy(update={"api_key_file": str(wrong)})
    )
    with pytest.raises(EnrollmentAuthError) as info, api.connect() as client:
        client.published_actions()
    assert type(info.value) is EnrollmentAuthError
    assert str(info.value) == (
        f"Enrollment API /api/v1/publishedactions at {settings.enrollment.base_url} answered "
        f"401: the API key was refused; check the key file {wrong}"
    )
    assert logged_waits(caplog) == []  # one request: a refused key is never asked again
    shown = "".join(traceback.format_exception(info.value))
    assert "not-the-key" not in shown and _key(settings) not in shown


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_api_is_named_after_the_retries(settings, caplog):
    caplog.set_level(logging.INFO, logger="teamster.core.http")
    url = f"http://127.0.0.1:{_closed_port()}"
    api = EnrollmentAPI(
        settings=settings.enrollment.model_copy(update={"base_url": url}), retries=fast_retries(2)
    )
    with pytest.raises(EnrollmentError) as info, api.connect() as client:
        client.published_actions()
    assert type(info.value) is EnrollmentError
    assert str(info.value) == (
        f"Enrollment API /api/v1/publishedactions at {url}: cannot connect (ConnectError) "
        "after 2 attempts"
    )
    assert [attempt for attempt, _ in logged_waits(caplog)] == [1]


def test_an_unreadable_key_file_is_named(settings, tmp_path):
    """A key file that is a folder (a volume mounted at the wrong path) is our error."""
    api = EnrollmentAPI(
        settings=settings.enrollment.model_copy(update={"api_key_file": str(tmp_path)})
    )
    with pytest.raises(EnrollmentError) as info, api.connect():
        pass
    assert type(info.value) is EnrollmentError
    assert str(info.value) == (
        f"Enrollment API key file {tmp_path} cannot be read (IsADirectoryError)"
    )


def test_a_missing_key_file_is_named(settings, tmp_path):
    api = EnrollmentAPI(
        settings=settings.enrollment.model_copy(update={"api_key_file": str(tmp_path / "nothing")})
    )
    missing = f"key file {tmp_path / 'nothing'} does not exist"
    with pytest.raises(EnrollmentError, match=missing), api.connect():
        pass


# --- a vendor that misbehaves ----------------------------------------------------------------

Answer = Callable[[int, int], dict]


@pytest.fixture
def vendor() -> Iterator[Callable[[Answer], str]]:
    """Start a vendor whose records answer is ``answer(page, pagesize)``; its base URL."""
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Answer) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                body = answer(int(query["page"][0]), int(query["pagesize"][0]))
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def _records(settings, url: str, tmp_path) -> list:
    key = tmp_path / "key"
    key.write_text("k")
    api = EnrollmentAPI(
        settings=settings.enrollment.model_copy(update={"base_url": url, "api_key_file": str(key)}),
        retries=Retries(attempts=1, first_wait=0.01, max_wait=0.01),
    )
    with api.connect() as session:
        return [r for page in session.submission_records(5, page_size=2) for r in page]


def test_pages_that_disagree_fail(settings, tmp_path, vendor):
    def answer(page: int, size: int) -> dict:
        count = 4 if page == 1 else 3  # a record went away between the pages
        return {"metadata": {"pageCount": 2, "recordCount": count}, "records": [{"id": page}]}

    with pytest.raises(EnrollmentError, match="page 2 .*reports 3 records in 2 pages, page 1"):
        _records(settings, vendor(answer), tmp_path)


def test_records_that_do_not_add_up_fail(settings, tmp_path, vendor):
    def short(page: int, size: int) -> dict:
        rows = [{"id": 10 * page + k} for k in range(size if page == 1 else 1)]
        return {"metadata": {"pageCount": 2, "recordCount": 4}, "records": rows}

    with pytest.raises(EnrollmentError, match="`recordCount` says 4 but 3 records came"):
        _records(settings, vendor(short), tmp_path)

    def twice(page: int, size: int) -> dict:
        return {"metadata": {"pageCount": 2, "recordCount": 4}, "records": [{"id": 1}, {"id": 2}]}

    with pytest.raises(EnrollmentError, match="page 2 .*record id 1 came twice"):
        _records(settings, vendor(twice), tmp_path)


def test_a_record_id_that_is_not_a_value_is_our_error(settings, tmp_path, vendor):
    """An id the vendor sends as a list or object cannot be checked for repeats: the
    load fails naming the page, not with Python's own TypeError."""

    def answer(page: int, size: int) -> dict:
        return {"metadata": {"pageCount": 1, "recordCount": 1}, "records": [{"id": [7]}]}

    with pytest.raises(EnrollmentError) as info:
        _records(settings, vendor(answer), tmp_path)
    assert type(info.value) is EnrollmentError
    assert str(info.value) == (
        "Enrollment API /api/v1/publishedactions/5/submissionrecords, page 1 (pagesize 2): "
        "record id [7] is not a whole number"
    )


# --- typed records ---------------------------------------------------------------------------


def _a_submitted_record(settings) -> dict:
    url = f"{settings.enrollment.base_url}/api/v1/publishedactions"
    for action in httpx.get(url, auth=(_key(settings), "")).json():
        for record in _served_page(settings, action["id"], pagesize=1000)["records"]:
            if record["submitted"] and record["externalStudentID"]:
                return record
    raise AssertionError("the sandbox serves a submitted record of a returning student")


def test_records_land_typed(sandbox, settings):
    record = _a_submitted_record(settings)
    [row] = to_batch([record], RECORD_FIELDS, "here").to_pylist()
    assert row["external_student_id"] == record["externalStudentID"]
    assert row["submitted"] == datetime.datetime.fromisoformat(record["submitted"])  # UTC
    assert row["date_of_birth"] == datetime.date.fromisoformat(record["dateOfBirth"][:10])
    assert dict(row["data_items"]) == record["dataItems"] and row["tags"] == record["tags"]
    batch = next(record_batches(iter([[record]]), 7))
    assert batch.schema == RECORDS_SCHEMA and batch.to_pylist()[0]["published_action_id"] == 7


@pytest.mark.parametrize(
    "value, expected",
    [
        ("2026-11-03T14:22:05", datetime.datetime(2026, 11, 3, 14, 22, 5)),
        ("2026-11-03T14:22:05.1234567", datetime.datetime(2026, 11, 3, 14, 22, 5, 123456)),
        ("2026-11-03T14:22:05Z", datetime.datetime(2026, 11, 3, 14, 22, 5)),
        ("2026-11-03T09:22:05-05:00", datetime.datetime(2026, 11, 3, 14, 22, 5)),
        ("2026-11-03 14:22:05", datetime.datetime(2026, 11, 3, 14, 22, 5)),
    ],
)
def test_times_are_utc(sandbox, settings, value, expected):
    record = {**_a_submitted_record(settings), "submitted": value}
    assert to_batch([record], RECORD_FIELDS, "here").to_pylist()[0]["submitted"] == expected


@pytest.mark.parametrize(
    "change, message",
    [
        ({"submitted": "11/03/2026 2:22 PM"}, "field 'submitted': .* is not a time"),
        ({"dateOfBirth": "2019-07-24T10:00:00"}, "field 'dateOfBirth': .* is not a date"),
        ({"id": "1000001"}, "field 'id': '1000001' is not a whole number"),
        ({"tags": "Polished"}, "field 'tags': 'Polished' is not a list of text"),
        ({"dataItems": {"a": 1}}, "field 'dataItems': .* is not an object of text answers"),
    ],
)
def test_a_bad_value_names_action_row_and_field(sandbox, settings, change, message):
    record = _a_submitted_record(settings)
    rows = [record, {**record, **change}]
    where = "Enrollment API /api/v1/publishedactions/3/submissionrecords"
    with pytest.raises(EnrollmentError, match=rf"{where}, row 12 \(id .*\), {message}"):
        to_batch(rows, RECORD_FIELDS, where, first_row=11)


def test_a_missing_or_renamed_field_fails(sandbox, settings):
    record = _a_submitted_record(settings)
    renamed = {("firstname" if k == "firstName" else k): v for k, v in record.items()}
    with pytest.raises(EnrollmentError, match="row 1 .*field 'firstName' is missing"):
        to_batch([renamed], RECORD_FIELDS, "here")


# --- assets and the daily schedule -----------------------------------------------------------


def test_open_actions_are_those_for_this_year_or_later():
    assert first_year("2027-2028") == 2027 and first_year("Fall 2027") is None
    assert is_open("2027-2028", 2026) and is_open("2026-2027", 2026)
    assert not is_open("2025-2026", 2026)
    assert is_open("next year", 2026) and is_open(None, 2026)  # unreadable: reload


def _schedule_runs(defs, instance, when: datetime.datetime) -> list:
    schedule = defs.resolve_schedule_def("powerschool_enrollment__daily")
    with build_schedule_context(
        instance=instance,
        scheduled_execution_time=when,
        resources={"powerschool_enrollment": defs.resources["powerschool_enrollment"]},
        repository_def=defs.get_repository_def(),
    ) as context:
        data = schedule.evaluate_tick(context)
    return list(data.run_requests or [])


def _schedule_requests(defs, instance, when: datetime.datetime) -> set[str]:
    return {r.partition_key for r in _schedule_runs(defs, instance, when)}


def _district_morning(sandbox, years_on: int = 0) -> datetime.datetime:
    """05:00 UTC on the district's date (or some ``years_on`` years later): when the
    daily schedule ticks, on the sandbox's calendar rather than the machine's."""
    day = datetime.date.fromisoformat(sandbox.state()["as_of"])
    day += datetime.timedelta(days=366 * years_on)
    return datetime.datetime.combine(day, datetime.time(5), tzinfo=datetime.UTC)


def test_new_actions_are_listed_not_added_by_the_schedule(sandbox, tmp_path):
    """One writer of action partitions: the listing's load. The schedule asks for the
    listing when an action is new, and adds none itself."""
    defs = load_definitions("kipptaf")
    instance = DagsterInstance.local_temp(str(tmp_path))
    now = _district_morning(sandbox)
    [listing] = _schedule_runs(defs, instance, now)
    assert (listing.asset_selection, listing.partition_key) == ([ACTIONS_KEY], None)
    assert instance.get_dynamic_partitions(ACTIONS.name) == []
    records = defs.get_assets_def(RECORDS_KEY).automation_conditions_by_key[RECORDS_KEY]
    assert records.get_label() == "on_missing"  # automation loads what the listing adds


def _landed(settings) -> dict[str, tuple[int, int]]:
    """Records and submitted records per action in the warehouse."""
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        rows = con.execute(
            "select cast(published_action_id as varchar), count(*), count(submitted) "
            "from kipptaf_powerschool_enrollment.submission_records group by 1"
        ).fetchall()
    return {action: (n, submitted) for action, n, submitted in rows}


def _expected(truth) -> dict[str, tuple[int, int]]:
    records, submitted = (
        truth["enrollment_records_by_action"],
        truth["enrollment_submitted_by_action"],
    )
    return {a: (n, submitted[a]) for a, n in records.items() if n}


def test_assets_and_daily_schedule(sandbox, settings, tmp_path):
    defs = load_definitions("kipptaf")
    job = defs.resolve_implicit_global_asset_job_def()
    instance = DagsterInstance.local_temp(str(tmp_path))  # schedules need a stored instance
    job.execute_in_process(asset_selection=[ACTIONS_KEY], instance=instance)
    keys = instance.get_dynamic_partitions(ACTIONS.name)
    truth = sandbox.truth()
    assert set(keys) == set(truth["enrollment_records_by_action"])
    now = _district_morning(sandbox)
    later = _district_morning(sandbox, years_on=3)  # every form in the past

    # the forms are for next year: open, so asked for every day, loaded or not
    assert _schedule_requests(defs, instance, now) == set(keys)
    for key in keys:
        job.execute_in_process(asset_selection=[RECORDS_KEY], partition_key=key, instance=instance)
    assert _landed(settings) == _expected(truth)
    # families' names as they typed them (accents, apostrophes, other scripts) land intact
    served = sorted(
        (r["id"], r["firstName"], r["lastName"])
        for rows in district_of(sandbox.root).enrollment_submissions.values()
        for r in rows
    )
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        names = con.execute(
            "select id, first_name, last_name "
            "from kipptaf_powerschool_enrollment.submission_records"
        ).fetchall()
    assert sorted(names) == served and any(not last.isascii() for _, _, last in names)
    assert _schedule_requests(defs, instance, now) == set(keys)
    # once past, an action is asked for only when its record count moves
    assert _schedule_requests(defs, instance, later) == set()
    job.execute_in_process(
        asset_selection=[RECORDS_KEY], partition_key=keys[0], instance=instance
    )  # a rerun replaces the action's rows
    assert _landed(settings) == _expected(truth)

    # a new family's record appears the day it starts a form: most school days, but a
    # small district has quiet days, so move on a day at a time until one appears
    before = truth["enrollment_records_by_action"]
    for _ in range(10):
        after = sandbox.advance(days=1)
        counts = after["enrollment_records_by_action"]
        moved = {k for k, n in counts.items() if n != before.get(k)}
        if moved:
            break
    assert moved
    assert _schedule_requests(defs, instance, later) == moved
    for key in keys:
        job.execute_in_process(asset_selection=[RECORDS_KEY], partition_key=key, instance=instance)
    assert _landed(settings) == _expected(after)
    assert sum(s for _, s in _landed(settings).values()) > sum(
        s for _, s in _expected(truth).values()
    )  # families kept submitting
