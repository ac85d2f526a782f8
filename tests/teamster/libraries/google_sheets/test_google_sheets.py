"""Google Sheets ingestion against the sandbox's CSV export: typed tables equal the
truth, 429/500 bursts are retried through, a changed header fails naming sheet and
column and keeps the previous table."""

import logging
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, Definitions

from support import fast_retries, logged_waits
from teamster.core.resources import shared_resources
from teamster.core.settings import SettingsError
from teamster.libraries.google_sheets.assets import build_google_sheet_assets, sheet_key
from teamster.libraries.google_sheets.config import load_sheets_config
from teamster.libraries.google_sheets.resources import GoogleSheets, GoogleSheetsError

LOCATION = "kipptaf"
CONFIG = Path(__file__).parents[4] / "src/teamster/code_locations/kipptaf/config/google_sheets.yaml"


def _client(settings, attempts: int = 6) -> GoogleSheets:
    return GoogleSheets(settings=settings.google_sheets, retries=fast_retries(attempts))


def _defs(settings) -> Definitions:
    """kipptaf's sheet wiring alone, so these tests do not depend on its dbt project."""
    return Definitions(
        assets=build_google_sheet_assets(LOCATION, load_sheets_config(CONFIG)),
        resources={**shared_resources(settings), "google_sheets": _client(settings)},
    )


def _materialize(settings, tables: list[str], **kwargs):
    config = load_sheets_config(CONFIG)
    keys = [sheet_key(LOCATION, s) for s in config.sheets if s.table in tables]
    job = _defs(settings).resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        asset_selection=keys, instance=DagsterInstance.ephemeral(), **kwargs
    )


def _query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_declared_sheet_loads_typed(sandbox, settings):
    result = _materialize(settings, ["network_goals", "school_leaders"])
    assert result.success
    truth = sandbox.truth()["sheets_rows"]
    for table, sheet_id in (
        ("network_goals", "1networkgoals"),
        ("school_leaders", "1schoolleaders"),
    ):
        [(count,)] = _query(settings, f"select count(*) from kipptaf_google_sheets.{table}")
        assert count == truth[sheet_id], table
    types = dict(
        _query(
            settings,
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'kipptaf_google_sheets' and table_name = 'network_goals'",
        )
    )
    assert types == {
        "code_location": "VARCHAR",
        "school_number": "BIGINT",
        "metric": "VARCHAR",
        "goal": "DOUBLE",
    }
    leaders = "select distinct code_location from kipptaf_google_sheets.school_leaders"
    regions = {r for (r,) in _query(settings, leaders)}
    assert regions == {"kippnewark", "kippcamden", "kippmiami", "kipppaterson"}


@pytest.mark.parametrize("status", [429, 500])
def test_bursts_are_retried_through(sandbox, settings, status, caplog):
    caplog.set_level(logging.INFO, logger="teamster.core.http")
    sandbox.faults.http_burst("sheets", status, 3)
    with _client(settings).connect() as sheets:
        body = sheets.export_csv("1networkgoals", 0)
    assert body == (sandbox.root / "http" / "sheets" / "1networkgoals.csv").read_bytes()
    assert sandbox.faults.read()["http"]["sheets"]["remaining"] == 0
    waits = logged_waits(caplog)
    assert [attempt for attempt, _ in waits] == [1, 2, 3]
    retries = fast_retries(6)
    for attempt, wait in waits:  # doubling from the first wait, jitter up to one more
        low = min(retries.first_wait * 2 ** (attempt - 1), retries.max_wait)
        assert low <= wait <= min(low + retries.first_wait, retries.max_wait), (attempt, wait)


def test_a_burst_longer_than_the_retries_is_a_clear_error(sandbox, settings):
    sandbox.faults.http_burst("sheets", 500, 5)
    try:
        with (
            pytest.raises(GoogleSheetsError) as info,
            _client(settings, 3).connect() as sheets,
        ):
            sheets.export_csv("1networkgoals", 0)
        remaining = sandbox.faults.read()["http"]["sheets"]["remaining"]
    finally:
        sandbox.faults.http_burst("sheets", 500, 0)
    assert type(info.value) is GoogleSheetsError
    assert str(info.value) == (
        f"Google Sheet '1networkgoals' (gid 0) at {settings.google_sheets.base_url} still "
        "answered HTTP 500 after 3 attempts"
    )
    assert remaining == 2  # exactly three requests of the five-long burst


def test_an_unknown_sheet_fails_at_once(sandbox, settings, caplog):
    caplog.set_level(logging.INFO, logger="teamster.core.http")
    with pytest.raises(GoogleSheetsError) as info, _client(settings).connect() as sheets:
        sheets.export_csv("1nosuchsheet", 0)
    assert type(info.value) is GoogleSheetsError
    assert str(info.value) == (
        f"Google Sheet '1nosuchsheet' (gid 0) at {settings.google_sheets.base_url} not "
        "found: check sheet_id and gid in the config"
    )
    assert logged_waits(caplog) == []  # one request: a 404 is not asked again


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_export_is_named_after_the_retries(settings, caplog):
    caplog.set_level(logging.INFO, logger="teamster.core.http")
    url = f"http://127.0.0.1:{_closed_port()}"
    sheets = GoogleSheets(
        settings=settings.google_sheets.model_copy(update={"base_url": url}),
        retries=fast_retries(2),
    )
    with pytest.raises(GoogleSheetsError) as info, sheets.connect() as client:
        client.export_csv("1networkgoals", 0)
    assert type(info.value) is GoogleSheetsError
    assert str(info.value) == (
        f"Google Sheet '1networkgoals' (gid 0) at {url}: cannot connect (ConnectError) "
        "after 2 attempts"
    )
    assert [attempt for attempt, _ in logged_waits(caplog)] == [1]


class _BadGzip(BaseHTTPRequestHandler):
    """An export whose body says it is gzip and is not: httpx cannot decode it."""

    def do_GET(self) -> None:
        body = b"this is not gzip"
        self.send_response(200)
        self.send_header("Content-Type", "text/csv; charset=utf-8")
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def bad_gzip() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BadGzip)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_body_that_cannot_be_decoded_is_our_error(settings, bad_gzip):
    sheets = GoogleSheets(
        settings=settings.google_sheets.model_copy(update={"base_url": bad_gzip}),
        retries=fast_retries(2),
    )
    with pytest.raises(GoogleSheetsError) as info, sheets.connect() as client:
        client.export_csv("1networkgoals", 0)
    assert type(info.value) is GoogleSheetsError
    assert str(info.value) == (
        f"Google Sheet '1networkgoals' (gid 0) at {bad_gzip}: the request failed (DecodingError)"
    )


def test_a_changed_header_names_sheet_and_column_and_keeps_the_table(sandbox, settings):
    assert _materialize(settings, ["network_goals"]).success
    before = _query(settings, "select * from kipptaf_google_sheets.network_goals order by all")
    served = sandbox.root / "http" / "sheets" / "1networkgoals.csv"
    original = served.read_bytes()
    served.write_bytes(original.replace(b",goal\n", b",Goal target\n", 1))
    try:
        result = _materialize(settings, ["network_goals"], raise_on_error=False)
    finally:
        served.write_bytes(original)
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert "Google Sheet '1networkgoals' (kipptaf_google_sheets.network_goals" in message
    assert "line 1: missing column(s) 'goal'; unexpected column(s) 'Goal target'" in message
    after = _query(settings, "select * from kipptaf_google_sheets.network_goals order by all")
    assert after == before


def test_config_refuses_unknown_types_and_undeclared_required_columns(tmp_path):
    bad = tmp_path / "google_sheets.yaml"
    bad.write_text(
        "google_sheets:\n  sheets:\n    - table: t\n      sheet_id: x\n      columns: {a: money}\n"
    )
    with pytest.raises(SettingsError, match="column 'a': unknown column type 'money'"):
        load_sheets_config(bad)
    bad.write_text(
        "google_sheets:\n  sheets:\n    - table: t\n      sheet_id: x\n"
        "      columns: {a: string}\n      required: [b]\n"
    )
    with pytest.raises(SettingsError, match=r"required columns \['b'\] are not declared"):
        load_sheets_config(bad)
