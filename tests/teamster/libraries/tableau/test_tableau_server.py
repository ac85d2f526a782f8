"""The Tableau REST client as prod wires it, against a stricter stand-in server.

Tableau Server cannot run here. The stand-in below keeps sessions the way the REST API
does: sign-in checks the personal access token's name and secret and the site and
opens a session; refresh and sign-out are refused without a live session token, for
the signed-in site, and for unknown workbooks (Tableau's own error codes). The basic
request sequence and 429 retries are in test_tableau.py; here: prod variables to the
resource, every configured workbook refreshed through Dagster, sessions closed, and no
error carrying the token.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from dagster import DagsterInstance, materialize

import teamster
from support import prod_settings
from teamster.core.http import Retries
from teamster.core.settings import (
    TableauServerSettings,
)
from teamster.libraries.dbt.assets import build_group_assets, canonical_assets
from teamster.libraries.dbt.config import load_groups
from teamster.libraries.tableau.assets import build_workbook_assets, load_tableau_config
from teamster.libraries.tableau.resources import TableauError, TableauServer, tableau_resource

CONFIG = Path(teamster.__file__).parent / "code_locations" / "kipptaf" / "config"
SECRET = "pat-Secret-7hQ2mZx9vL"  # distinctive: any leak of it is found by substring
TOKEN_NAME = "teamster-refresh"
SITE = "kipptaf"
SITE_ID = "9a8b7c6d-site"
API = "/api/3.22"


@dataclass
class _Tableau:
    """The stand-in's state: known workbooks, live sessions, every request."""

    workbooks: set[str]
    sessions: dict[str, str] = field(default_factory=dict)  # session token -> site id
    calls: list[tuple[str, str | None, dict]] = field(default_factory=list)
    jobs: list[str] = field(default_factory=list)
    refresh_status: int | None = None  # answer every refresh with this status
    echo_secret: bool = False  # a sign-in error that quotes what it was sent
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))


def _handler(state: _Tableau) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, body: dict | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, summary: str, detail: str) -> None:
            self._reply(status, {"error": {"code": code, "summary": summary, "detail": detail}})

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw) if raw else {}
            auth = self.headers.get("X-Tableau-Auth")
            state.calls.append((self.path, auth, body))
            if self.path == f"{API}/auth/signin":
                return self._signin(body)
            if auth not in state.sessions:
                return self._error(401, "401002", "Unauthorized Access", "Invalid credentials")
            if self.path == f"{API}/auth/signout":
                del state.sessions[auth]
                return self._reply(204)
            prefix = f"{API}/sites/{state.sessions[auth]}/workbooks/"
            if self.path.startswith(prefix) and self.path.endswith("/refresh"):
                return self._refresh(self.path.removeprefix(prefix).removesuffix("/refresh"))
            self._error(404, "404000", "Resource Not Found", self.path)

        def _signin(self, body: dict) -> None:
            if self.headers.get("Content-Type") != "application/json":
                return self._error(415, "415000", "Unsupported Media Type", "JSON expected")
            credentials = body.get("credentials", {})
            given = (
                credentials.get("personalAccessTokenName"),
                credentials.get("personalAccessTokenSecret"),
                credentials.get("site"),
            )
            if given != (TOKEN_NAME, SECRET, {"contentUrl": SITE}) or state.echo_secret:
                detail = f"Error signing in to Tableau Server with {given[1]}"
                return self._error(401, "401001", "Signin Error", detail)
            token = f"session-{next(state.counter)}-Xk4v"
            state.sessions[token] = SITE_ID
            self._reply(
                200,
                {
                    "credentials": {
                        "site": {"id": SITE_ID, "contentUrl": SITE},
                        "user": {"id": "user-1"},
                        "token": token,
                    }
                },
            )

        def _refresh(self, workbook: str) -> None:
            if state.refresh_status is not None:
                return self._error(state.refresh_status, "500000", "Internal Error", "busy")
            if workbook not in state.workbooks:
                detail = f"Workbook '{workbook}' could not be found."
                return self._error(404, "404031", "Resource Not Found", detail)
            job = f"job-{next(state.counter)}"
            state.jobs.append(job)
            self._reply(202, {"job": {"id": job, "mode": "Asynchronous", "type": "RefreshExtract"}})

    return Handler


@pytest.fixture
def tableau() -> Iterator[tuple[_Tableau, str]]:
    workbooks = {w.id for w in load_tableau_config(CONFIG / "tableau.yaml").workbooks}
    state = _Tableau(workbooks=workbooks)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


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

    # per workbook: sign in with the file's token, refresh with that session, sign out
    signins = [c for c in state.calls if c[0] == f"{API}/auth/signin"]
    assert len(signins) == len(config.workbooks) == 3
    for _, auth, body in signins:
        assert auth is None
        assert body == {
            "credentials": {
                "personalAccessTokenName": TOKEN_NAME,
                "personalAccessTokenSecret": SECRET,
                "site": {"contentUrl": SITE},
            }
        }
    refreshes = {p: a for p, a, _ in state.calls if p.endswith("/refresh")}
    expected = {f"{API}/sites/{SITE_ID}/workbooks/{w.id}/refresh" for w in config.workbooks}
    assert set(refreshes) == expected
    signouts = [a for p, a, _ in state.calls if p == f"{API}/auth/signout"]
    assert sorted(signouts) == sorted(refreshes.values())  # each session signed out
    assert len(set(signouts)) == 3 and state.sessions == {}
    recorded = [
        e.materialization.metadata["tableau_job_id"].value
        for e in result.get_asset_materialization_events()
    ]
    assert sorted(recorded) == sorted(state.jobs)  # each asset records its own job


def _server(url: str, tmp_path: Path, attempts: int = 3) -> TableauServer:
    settings = TableauServerSettings(
        base_url=url, site=SITE, token_name=TOKEN_NAME, token_file=str(_token_file(tmp_path))
    )
    return TableauServer(
        settings=settings, retries=Retries(attempts=attempts, first_wait=0.01, max_wait=0.05)
    )


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("fault", "expected"),
    [
        ("signin echoes the secret", "refused POST /api/3.22/auth/signin (HTTP 401, 401001"),
        ("unknown workbook", "failed with HTTP 404, 404031 Resource Not Found Workbook 'wb-x'"),
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
        _server(url, tmp_path).refresh("wb-x", [])
    message = str(info.value)
    assert expected in message
    sessions = [f"session-{n}-Xk4v" for n in range(1, 10)]
    assert SECRET not in message and not [s for s in sessions if s in message]
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
        server.refresh("wb-x", [])
