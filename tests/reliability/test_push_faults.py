"""Pushes and load hooks under faults: Tableau workbook refreshes, and a load whose
``after_load`` hook fails.

Tableau Server cannot run here: the workbook assets run through Dagster against the
REST stand-in (``tests/tableau_standin.py``), which keeps sessions and asynchronous
refresh jobs as the documented API does. A burst of 429/5xx answers is retried; a
refused token is not, and says which variable to check; a refresh job that finishes
failed fails the asset with the workbook's name and Tableau's notes; a sign-out that
fails after a real error never hides it. Once each fault is cleared the next run
records the refresh.

The load hook: kipptaf's ADP listing, over the sandbox's payroll SFTP, adds each pay
date it lists as a partition. When a new pay date appears and adding it fails, the run
fails and the listing table keeps its previous rows; once the fault is cleared the next
run loads the sandbox's truth whole.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
from dagster import AssetsDefinition, DagsterInstance, materialize
from tableau_standin import API, SECRET, SITE, TOKEN_NAME, StandIn, serve

import teamster
from support import adp_definitions
from teamster.core.http import Retries
from teamster.core.settings import TableauServerSettings
from teamster.libraries.adp.assets import files_key
from teamster.libraries.adp.schema import parse_name
from teamster.libraries.dbt.assets import build_group_assets, canonical_assets
from teamster.libraries.dbt.config import load_groups
from teamster.libraries.tableau.assets import build_workbook_assets, load_tableau_config
from teamster.libraries.tableau.resources import JobPolls, TableauServer

CONFIG = Path(teamster.__file__).parent / "code_locations" / "kipptaf" / "config"
WORKBOOK = load_tableau_config(CONFIG / "tableau.yaml").workbooks[0]  # Attendance Dashboard


# --- Tableau ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def workbook_asset(settings) -> AssetsDefinition:
    """The first workbook's asset exactly as kipptaf builds it (one is enough here)."""
    dbt_config = load_groups(CONFIG / "dbt.yaml")
    core = canonical_assets(dbt_config, build_group_assets(dbt_config, settings))
    config = load_tableau_config(CONFIG / "tableau.yaml")
    asset = build_workbook_assets("kipptaf", config, core)[0]  # in the config's order
    assert asset.key.path[-1] == "attendance_dashboard"
    return asset


@pytest.fixture
def tableau(tmp_path) -> Iterator[tuple[StandIn, TableauServer]]:
    state = StandIn(workbooks={WORKBOOK.id})
    token = tmp_path / "tableau_token"
    token.write_text(SECRET + "\n")
    with serve(state) as url:
        settings = TableauServerSettings(
            base_url=url, site=SITE, token_name=TOKEN_NAME, token_file=str(token)
        )
        yield (
            state,
            TableauServer(
                settings=settings,
                retries=Retries(attempts=5, first_wait=0.01, max_wait=0.02),
                job_polls=JobPolls(first_wait=1 / 64, max_wait=1 / 32, timeout=1 / 8),
            ),
        )


def _run(asset: AssetsDefinition, resource: TableauServer):
    return materialize(
        [asset],
        resources={"tableau": resource},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )


def _failure(result) -> str:
    """The step's own error, as Dagster recorded it (message and any notes)."""
    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.cause.message


def _leaks(result, *texts: str) -> int:
    """Occurrences of the token's secret or a session token in everything the run
    recorded (event messages, failures, metadata) and in ``texts``."""
    recorded = [str(e) for e in result.all_events] + list(texts)
    secrets = [SECRET] + [f"session-{n}-Xk4v" for n in range(1, 50)]
    return sum(text.count(s) for text in recorded for s in secrets)


def _recorded(result) -> dict[str, Any]:
    [event] = result.get_asset_materialization_events()
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_a_burst_of_429_and_5xx_is_retried(workbook_asset, tableau, ledger):
    state, resource = tableau
    with ledger.fault("Tableau: a 429/5xx burst on the refresh and on its job's polls"):
        state.burst, state.job_burst = [429, 503, 500], [502, 429]
        result = _run(workbook_asset, resource)
        assert result.success
        refresh = f"{API}/sites/9a8b7c6d-site/workbooks/{WORKBOOK.id}/refresh"
        assert state.paths("POST").count(refresh) == 4  # three refused, the fourth queued
        [job] = state.jobs.values()
        assert len([p for p in state.paths("GET") if p.endswith(job.id)]) == 4  # 2 + 2
        assert job.polls == 2  # answered: running, then completed
        metadata = _recorded(result)
        assert metadata["tableau_job_id"] == job.id
        assert metadata["tableau_job_finish_code"] == 0
        assert state.sessions == {} and state.burst == state.job_burst == []
        hits = _leaks(result)
        ledger.leaked(hits)
        assert hits == 0


def test_a_refused_token_is_not_retried_and_names_the_variable(workbook_asset, tableau, ledger):
    state, resource = tableau
    with ledger.fault("Tableau: sign-in refused (HTTP 401) with the secret echoed back"):
        state.echo_secret = True  # refuses, quoting the secret it was sent
        try:
            failed = _run(workbook_asset, resource)
        finally:
            state.echo_secret = False
        message = _failure(failed)
        assert "refused POST /api/3.22/auth/signin (HTTP 401, 401001 Signin Error" in message
        assert "check the personal access token named by TEAMSTER_TABLEAU_TOKEN_NAME" in message
        assert "with ***" in message  # the echoed secret cut out
        assert state.paths() == [f"{API}/auth/signin"]  # once: a 401 is not asked again
        hits = _leaks(failed, message)
        ledger.leaked(hits)
        assert hits == 0

        assert _run(workbook_asset, resource).success  # the fault cleared


def test_a_refresh_job_that_fails_fails_the_asset_with_its_notes(workbook_asset, tableau, ledger):
    state, resource = tableau
    notes = "Data source 'rpt_tableau__attendance' could not be reached: connection refused"
    with ledger.fault("Tableau: the refresh job finishes failed"):
        state.job_finish_code, state.job_notes = 1, notes
        failed = _run(workbook_asset, resource)
        message = _failure(failed)
        [job] = state.jobs
        assert f"workbook {WORKBOOK.name!r} ({WORKBOOK.id}): job {job} failed" in message
        assert notes in message
        assert failed.get_asset_materialization_events() == []  # nothing recorded as done
        assert state.sessions == {}
        hits = _leaks(failed, message)
        ledger.leaked(hits)
        assert hits == 0

        state.job_finish_code, state.job_notes = 0, ""
        result = _run(workbook_asset, resource)
        assert result.success and _recorded(result)["tableau_job_finish_code"] == 0


def test_a_failing_sign_out_never_hides_the_real_error(workbook_asset, tableau, ledger):
    state, resource = tableau
    with ledger.fault("Tableau: sign-out drops the connection after a failed refresh job"):
        state.job_finish_code, state.job_notes = 1, "extract too large"
        state.signout_fault = "drop"
        failed = _run(workbook_asset, resource)
        message = _failure(failed)
        [failure] = [e for e in failed.all_events if e.is_step_failure]
        assert failure.step_failure_data.error.cause.cls_name == "TableauError"
        assert "failed (finishCode 1): extract too large" in message
        assert "sign-out from Tableau failed" in message  # noted, not raised
        assert "RemoteProtocolError" in message  # what the sign-out met, by type only
        hits = _leaks(failed, message)
        ledger.leaked(hits)
        assert hits == 0

        state.job_finish_code, state.job_notes, state.signout_fault = 0, "", None
        state.sessions.clear()  # the session the failed sign-out left expires on its own
        assert _run(workbook_asset, resource).success
        assert state.sessions == {}


# --- a failing after_load hook ------------------------------------------------------


def _listing_rows(settings) -> int:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        [(rows,)] = con.execute(
            "select count(*) from kipptaf_adp_payroll.general_ledger_files"
        ).fetchall()
    return rows


def test_a_failing_after_load_hook_keeps_the_previous_table(sandbox, settings, ledger):
    defs = adp_definitions(settings)
    job = defs.resolve_implicit_global_asset_job_def()

    def run(instance: DagsterInstance):
        return job.execute_in_process(
            asset_selection=[files_key("kipptaf")], instance=instance, raise_on_error=False
        )

    truth = sandbox.truth()["adp_gl"]["files"]
    assert run(DagsterInstance.ephemeral()).success
    before = _listing_rows(settings)
    assert before == truth

    payroll = sandbox.root / "sftp" / "adp" / "payroll"
    [model, *_] = sorted(p for p in payroll.iterdir() if parse_name(p.name))
    new = payroll / model.name.replace(model.name.split("_")[2], "20990102")
    assert parse_name(new.name) is not None and not new.exists()
    with ledger.fault("load hook: adding a new pay date's partition fails after landing"):
        instance = DagsterInstance.ephemeral()

        def refuse(*_: object, **__: object) -> None:
            raise RuntimeError("dynamic partition storage unavailable (injected)")

        instance.add_dynamic_partitions = refuse  # type: ignore[method-assign]
        shutil.copy2(model, new)  # a new pay date appears on the vendor's SFTP
        try:
            failed = run(instance)
        finally:
            new.unlink()  # the session's sandbox, as it was
        message = _failure(failed)
        assert "dynamic partition storage unavailable (injected)" in message
        after = _listing_rows(settings)
        ledger.lost(before - after)
        assert after == before  # the previous table, not the new listing
        assert "2099-01-02" not in instance.get_dynamic_partitions("adp_payroll_pay_dates")

        instance = DagsterInstance.ephemeral()  # the fault cleared
        assert run(instance).success
        rows = _listing_rows(settings)
        ledger.lost(truth - rows)
        assert rows == truth
        assert (
            len(instance.get_dynamic_partitions("adp_payroll_pay_dates"))
            == (sandbox.truth()["adp_gl"]["pay_dates"])
        )
