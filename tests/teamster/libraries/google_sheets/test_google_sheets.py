"""Google Sheets ingestion against the sandbox's CSV export: typed tables equal the
truth, 429/500 bursts are retried through, a changed header fails naming sheet and
column and keeps the previous table."""

import time
from pathlib import Path

import duckdb
import pytest
from dagster import DagsterInstance, Definitions

from teamster.core.http import Retries
from teamster.core.resources import shared_resources
from teamster.core.settings import SettingsError
from teamster.libraries.google_sheets.assets import build_google_sheet_assets, sheet_key
from teamster.libraries.google_sheets.config import load_sheets_config
from teamster.libraries.google_sheets.resources import GoogleSheets, GoogleSheetsError

LOCATION = "kipptaf"
CONFIG = Path(__file__).parents[4] / "src/teamster/code_locations/kipptaf/config/google_sheets.yaml"


def _client(settings, attempts: int = 6) -> GoogleSheets:
    return GoogleSheets(
        settings=settings.google_sheets,
        retries=Retries(attempts=attempts, first_wait=0.05, max_wait=0.2),
    )


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
def test_bursts_are_retried_through(sandbox, settings, status):
    sandbox.faults.http_burst("sheets", status, 3)
    with _client(settings).connect() as sheets:
        body = sheets.export_csv("1networkgoals", 0)
    assert body.startswith(b"code_location,school_number,metric,goal")
    assert sandbox.faults.read()["http"]["sheets"]["remaining"] == 0


def test_a_burst_longer_than_the_retries_is_a_clear_error(sandbox, settings):
    sandbox.faults.http_burst("sheets", 500, 5)
    try:
        with (
            pytest.raises(GoogleSheetsError, match="still answered HTTP 500 after 3 attempts"),
            _client(settings, 3).connect() as sheets,
        ):
            sheets.export_csv("1networkgoals", 0)
    finally:
        sandbox.faults.http_burst("sheets", 500, 0)


def test_an_unknown_sheet_fails_at_once(sandbox, settings):
    started = time.monotonic()
    with (
        pytest.raises(GoogleSheetsError, match="'1nosuchsheet' .* not found: check sheet_id"),
        _client(settings).connect() as sheets,
    ):
        sheets.export_csv("1nosuchsheet", 0)
    assert time.monotonic() - started < 0.5  # 404 is not retried


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
