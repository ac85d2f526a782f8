"""The Tableau REST client as prod wires it, against a stricter stand-in server.

Tableau Server cannot run here. The stand-in (``tests/tableau_standin.py``) keeps
sessions and extract refresh jobs the way the REST API does. The basic request sequence
and 429 retries are in test_tableau.py; here: prod variables to the resource, every
configured workbook refreshed through Dagster and recorded only once its job finished,
failed and cancelled jobs, a job that outlives its wait, sessions closed, a sign-out
failure that never hides the real error, and no error carrying the token.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize
from tableau_standin import API, SECRET, SITE, SITE_ID, TOKEN_NAME, StandIn, serve

import teamster
from support import prod_settings
from teamster.core.http import Retries
from teamster.core.settings import (
    TableauServerSettings,
)
from teamster.libraries.dbt.assets import build_group_assets, canonical_assets
from teamster.libraries.dbt.config import load_groups
from teamster.libraries.tableau.assets import build_workbook_assets, load_tableau_config
from teamster.libraries.tableau.resources import (
    JobPolls,
    TableauError,
    TableauServer,
    tableau_resource,
)

CONFIG = Path(teamster.__file__).parent / "code_locations" / "kipptaf" / "config"
WORKBOOKS = load_tableau_config(CONFIG / "tableau.yaml").workbooks
WORKBOOK = WORKBOOKS[0].id
UNKNOWN = "00000000-0000-4000-8000-000000000000"  # a LUID no workbook has


@pytest.fixture
def tableau() -> Iterator[tuple[StandIn, str]]:
    state = StandIn(workbooks={w.id for w in WORKBOOKS})
    with serve(state) as url:
        yield state, url


def _token_file(tmp_path: Path) -> Path:
    path = tmp_path / "tableau_token"
    path.write_text(SECRET + "\n")  # as a mounted secret often ends
    return path


def test_prod_variables_sign_in_refresh_every_workbook_and_sign_out(tableau, settings, tmp_path):
    state, url = tableau
    prod = prod_settings(
        {
            "TEAMSTER_TABLEAU_URL": url,
            "TEAMSTER_TABLEAU_SITE": SITE,
            "TEAMSTER_TABLEAU_TOKEN_NAME": TOKEN_NAME,
            "TEAMSTER_TABLEAU_TOKEN_FILE": str(_token_file(tmp_path)),
        }
    )
    resource = tableau_resource(prod)
    assert isinstance(resource, TableauServer)
    # the workbook assets exactly as kipptaf builds them, over its canonical dbt group
    dbt_config = load_groups(CONFIG / "dbt.yaml")
    core = canonical_assets(dbt_config, build_group_assets(dbt_config, settings))
    config = load_tableau_config(CONFIG / "tableau.yaml")
    workbooks = build_workbook_assets("kipptaf", config, core)
    result = materialize(
        workbooks, resources={"tableau": resource}, instance=DagsterInstance.ephemeral()
    )
    assert result.success

    # per workbook: sign in with the file's token, refresh with that session, wait for
    # the refresh job to finish, sign out
    signins = [c for c in state.calls if c[1] == f"{API}/auth/signin"]
    assert len(signins) == len(config.workbooks) == 3
    for _, _, auth, body in signins:
        assert auth is None
        assert body == {
            "credentials": {
                "personalAccessTokenName": TOKEN_NAME,
                "personalAccessTokenSecret": SECRET,
                "site": {"contentUrl": SITE},
            }
        }
    refreshes = {p: a for _, p, a, _ in state.calls if p.endswith("/refresh")}
    expected = {f"{API}/sites/{SITE_ID}/workbooks/{w.id}/refresh" for w in config.workbooks}
    assert set(refreshes) == expected
    signouts = [a for _, p, a, _ in state.calls if p == f"{API}/auth/signout"]
    assert sorted(signouts) == sorted(refreshes.values())  # each session signed out
    assert len(set(signouts)) == 3 and state.sessions == {}
    # each job polled until it completed (once running, once done), with its session
    polls = {p: a for _, p, a, _ in state.calls if "/jobs/" in p}
    assert sorted(polls) == sorted(f"{API}/sites/{SITE_ID}/jobs/{j}" for j in state.jobs)
    assert [j.polls for j in state.jobs.values()] == [2, 2, 2]
    assert sorted(polls.values()) == sorted(signouts)
    recorded = {
        e.materialization.metadata["tableau_job_id"].value: e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert sorted(recorded) == sorted(state.jobs)  # each asset records its own job
    for metadata in recorded.values():
        assert metadata["tableau_job_finish_code"].value == 0
        assert metadata["tableau_job_polls"].value == 2
        assert "tableau_signout" not in metadata


# exact binary fractions: the waits sum to the timeout with no rounding left over
POLLS = JobPolls(first_wait=1 / 64, max_wait=1 / 32, timeout=1 / 8)


def _server(url: str, tmp_path: Path, attempts: int = 3) -> TableauServer:
    settings = TableauServerSettings(
        base_url=url, site=SITE, token_name=TOKEN_NAME, token_file=str(_token_file(tmp_path))
    )
    return TableauServer(
        settings=settings,
        retries=Retries(attempts=attempts, first_wait=0.01, max_wait=0.05),
        job_polls=POLLS,
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _no_token_in(message: str) -> bool:
    sessions = [f"session-{n}-Xk4v" for n in range(1, 10)]
    return SECRET not in message and not [s for s in sessions if s in message]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("signin echoes the secret", "refused POST /api/3.22/auth/signin (HTTP 401, 401001"),
        (
            "unknown workbook",
            f"failed with HTTP 404, 404031 Resource Not Found Workbook '{UNKNOWN}'",
        ),
        ("refresh keeps failing", "refresh still answered HTTP 503 after 3 attempts"),
        ("server down", "cannot reach Tableau at http://127.0.0.1:"),
    ],
)
def test_errors_are_clear_and_never_carry_a_token(tableau, tmp_path, fault, expected):
    state, url = tableau
    if fault == "signin echoes the secret":
        state.echo_secret = True
    elif fault == "refresh keeps failing":
        state.refresh_status = 503
    elif fault == "server down":
        url = f"http://127.0.0.1:{_closed_port()}"
    with pytest.raises(TableauError) as info:
        _server(url, tmp_path).refresh(UNKNOWN, [])
    message = str(info.value)
    assert expected in message
    assert _no_token_in(message)
    error = info.value  # no chained driver error to carry a secret either
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
    assert state.sessions == {}  # a session opened is closed, whatever failed
    if fault == "signin echoes the secret":  # the echo was there to be cut out
        assert "Error signing in to Tableau Server with ***" in message


def test_a_missing_token_file_is_named(tableau, tmp_path):
    _, url = tableau
    server = _server(url, tmp_path)
    Path(server.settings.token_file).unlink()
    with pytest.raises(TableauError, match=f"token file {server.settings.token_file} does not"):
        server.refresh(UNKNOWN, [])


def test_a_refresh_is_recorded_only_once_its_job_has_finished(tableau, tmp_path):
    """Refresh only queues a job: the client polls it (with the session) until Tableau
    reports it completed, and records the job id and its finish code."""
    state, url = tableau
    state.job_polls_to_finish = 3
    result = _server(url, tmp_path).refresh(WORKBOOK, [])
    [job] = state.jobs.values()
    assert job.polls == 4  # three answers "running", the fourth "completed"
    assert result == {
        "tableau_job_id": job.id,
        "tableau_job_finish_code": 0,
        "tableau_job_polls": 4,
    }
    assert state.paths()[-1] == f"{API}/auth/signout" and state.sessions == {}


@pytest.mark.parametrize(
    ("code", "notes", "expected"),
    [
        (1, "Data source 'attendance' returned an error: table not found", "failed"),
        (2, "", "was cancelled"),
    ],
)
def test_a_job_that_fails_or_is_cancelled_fails_the_refresh(
    tableau, tmp_path, code, notes, expected
):
    state, url = tableau
    state.job_finish_code, state.job_notes = code, notes
    with pytest.raises(TableauError) as info:
        _server(url, tmp_path).refresh(WORKBOOK, [], name="Attendance Dashboard")
    message = str(info.value)
    [job] = state.jobs
    assert f"workbook 'Attendance Dashboard' ({WORKBOOK})" in message, message
    assert f"job {job} {expected} (finishCode {code})" in message, message
    assert notes in message  # Tableau's own account of why
    assert _no_token_in(message)
    assert state.sessions == {}


def test_a_job_that_never_finishes_fails_once_the_wait_is_spent(tableau, tmp_path):
    state, url = tableau
    state.job_polls_to_finish = 1_000
    assert POLLS.waits() == [1 / 64, 1 / 32, 1 / 32, 1 / 32, 1 / 64]  # 1/8 s in all
    with pytest.raises(TableauError) as info:
        _server(url, tmp_path).refresh(WORKBOOK, [])
    [job] = state.jobs.values()
    assert job.polls == 6  # once at once, then after each wait
    message = str(info.value)
    assert f"job {job.id} still running after waiting 0.125 s (6 polls, progress 0%)" in message
    assert state.sessions == {}


def test_job_poll_waits_grow_to_the_longest_and_stop_at_the_timeout():
    assert JobPolls(first_wait=2, max_wait=30, timeout=100).waits() == [2, 4, 8, 16, 30, 30, 10]
    assert JobPolls(first_wait=5, max_wait=5, timeout=12).waits() == [5, 5, 2]
    with pytest.raises(ValueError, match="first_wait"):
        JobPolls(first_wait=0, max_wait=5, timeout=12)


@pytest.mark.parametrize("fault", ["drop", "500"])
def test_a_failing_sign_out_never_hides_the_real_error(tableau, tmp_path, fault):
    """The refresh fails (an unknown workbook) and so does the sign-out after it: the
    refresh's error is the one raised, with the sign-out's failure only noted on it."""
    state, url = tableau
    state.signout_fault = fault
    with pytest.raises(TableauError) as info:
        _server(url, tmp_path).refresh(UNKNOWN, [])
    assert "failed with HTTP 404, 404031" in str(info.value)
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "sign-out from Tableau failed" in notes, notes
    assert _no_token_in(str(info.value) + notes)


def test_a_failing_sign_out_after_a_good_refresh_is_noted_not_raised(tableau, tmp_path):
    state, url = tableau
    state.signout_fault = "drop"
    result = _server(url, tmp_path).refresh(WORKBOOK, [])
    assert result["tableau_job_finish_code"] == 0
    assert "sign-out from Tableau failed" in str(result["tableau_signout"])
    assert _no_token_in(str(result))
