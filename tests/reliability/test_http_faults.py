"""The four HTTP ingestion paths under faults: Enrollment, DeansList, Google Sheets and
ADP Workforce Now, each through its real asset materialized by Dagster against the
session sandbox.

A burst of 429s or 5xx shorter than the retries is asked through and the table equals
the sandbox's truth; a burst longer than the retries fails with the library's own error
naming the endpoint and its host, after exactly ``attempts`` requests, and leaves the
previous table and landed files exactly as they were; a refused key fails after one
request, naming the key file and never the key. Requests are counted by the sandbox
(a burst's ``remaining``) or by a counting relay on 127.0.0.1 in front of it.
"""

from __future__ import annotations

import http.client
import json
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb
import pytest
from dagster import AssetKey, AssetsDefinition, DagsterInstance, materialize

from sandbox.http import ADP_TOKEN_PATH
from teamster.core.http import Retries
from teamster.core.regions import REGISTRY
from teamster.core.resources import shared_resources
from teamster.libraries.adp.assets import build_adp_assets, workers_key
from teamster.libraries.adp.resources import ADPFiles, WorkforceNowAPI
from teamster.libraries.deanslist.assets import asset_key, build_deanslist_assets
from teamster.libraries.deanslist.config import load_deanslist_config
from teamster.libraries.deanslist.resources import DeansListAPI
from teamster.libraries.google_sheets.assets import build_google_sheet_assets, sheet_key
from teamster.libraries.google_sheets.config import load_sheets_config
from teamster.libraries.google_sheets.resources import GoogleSheets
from teamster.libraries.powerschool.enrollment.assets import (
    ACTIONS_KEY,
    RECORDS_KEY,
    build_enrollment_assets,
)
from teamster.libraries.powerschool.enrollment.resources import EnrollmentAPI

CONFIG = Path(__file__).parents[2] / "src" / "teamster" / "code_locations"
ATTEMPTS = 3
FAST = Retries(attempts=ATTEMPTS, first_wait=0.01, max_wait=0.05)
DEANSLIST_LOCATION = "kippcamden"


# --- the four paths ------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One materialization: these assets, this partition."""

    keys: list[AssetKey]
    partition: str | None = None


@dataclass(frozen=True)
class Ingestion:
    """One HTTP ingestion path: its assets, its client, where it lands, what is true."""

    system: str  # the sandbox's name for its server (and its fault switch)
    resource: str  # the resource key the assets ask for
    error: str  # the library's error type
    assets: Callable[[], list[AssetsDefinition]]
    client: Callable[[Any, dict[str, Any]], Any]  # (settings, settings changes) -> resource
    steps: Callable[[Any], list[Step]]  # sandbox -> the loads, in order
    counts: Callable[[Any], dict[str, tuple[str, int]]]  # sandbox -> table: (where, rows)
    endpoint: Callable[[Any], str]  # settings -> what the failure must name


def _enrollment_action(sandbox) -> str:
    """The action with the most records: several pages of them."""
    records = sandbox.truth()["enrollment_records_by_action"]
    return max(records, key=lambda a: records[a])


def _enrollment_counts(sandbox) -> dict[str, tuple[str, int]]:
    records = sandbox.truth()["enrollment_records_by_action"]
    action = _enrollment_action(sandbox)
    return {
        "kipptaf_powerschool_enrollment.published_actions": ("true", len(records)),
        "kipptaf_powerschool_enrollment.submission_records": (
            f"published_action_id = {int(action)}",
            records[action],
        ),
    }


def _deanslist_config():
    return load_deanslist_config(
        CONFIG / DEANSLIST_LOCATION / "config" / "deanslist.yaml",
        REGISTRY.region(DEANSLIST_LOCATION).timezone,
    )


def _deanslist_counts(sandbox) -> dict[str, tuple[str, int]]:
    year = sandbox.state()["start_year"]
    truth = sandbox.truth()["deanslist_by_region"][DEANSLIST_LOCATION]
    return {
        f"{DEANSLIST_LOCATION}_deanslist.behavior": (f"fiscal_year = {year}", truth["behavior"])
    }


def _sheets_config():
    return load_sheets_config(CONFIG / "kipptaf" / "config" / "google_sheets.yaml")


def _network_goals():
    return next(s for s in _sheets_config().sheets if s.table == "network_goals")


def _adp_yaml() -> str:
    return str(CONFIG / "kipptaf" / "config" / "adp.yaml")


def _adp_client(settings, changes: dict[str, Any]) -> WorkforceNowAPI:
    return WorkforceNowAPI(
        settings=settings.adp_workforce_now.model_copy(update=changes),
        config_file=_adp_yaml(),
        retries=FAST,
    )


PATHS = {
    "enrollment": Ingestion(
        system="enrollment",
        resource="powerschool_enrollment",
        error="EnrollmentError",
        assets=build_enrollment_assets,
        client=lambda settings, changes: EnrollmentAPI(
            settings=settings.enrollment.model_copy(update=changes), retries=FAST
        ),
        steps=lambda sandbox: [
            Step([ACTIONS_KEY]),
            Step([RECORDS_KEY], _enrollment_action(sandbox)),
        ],
        counts=_enrollment_counts,
        endpoint=lambda s: f"Enrollment API /api/v1/publishedactions at {s.enrollment.base_url}",
    ),
    "deanslist": Ingestion(
        system="deanslist",
        resource="deanslist",
        error="DeansListError",
        assets=lambda: build_deanslist_assets(DEANSLIST_LOCATION, _deanslist_config()),
        client=lambda settings, changes: DeansListAPI(
            settings=settings.deanslist.model_copy(update=changes), retries=FAST
        ),
        steps=lambda sandbox: [
            Step(
                [asset_key(DEANSLIST_LOCATION, "behavior")],
                f"{sandbox.state()['start_year']}-07-01",
            )
        ],
        counts=_deanslist_counts,
        endpoint=lambda s: (
            f"DeansList /api/v1/behavior for school {_deanslist_config().school_ids[0]} "
            f"at {s.deanslist.base_url}"
        ),
    ),
    "sheets": Ingestion(
        system="sheets",
        resource="google_sheets",
        error="GoogleSheetsError",
        assets=lambda: build_google_sheet_assets("kipptaf", _sheets_config()),
        client=lambda settings, changes: GoogleSheets(
            settings=settings.google_sheets.model_copy(update=changes), retries=FAST
        ),
        steps=lambda sandbox: [Step([sheet_key("kipptaf", _network_goals())])],
        counts=lambda sandbox: {
            "kipptaf_google_sheets.network_goals": (
                "true",
                sandbox.truth()["sheets_rows"][_network_goals().sheet_id],
            )
        },
        endpoint=lambda s: (
            f"Google Sheet {_network_goals().sheet_id!r} (gid {_network_goals().gid}) "
            f"at {s.google_sheets.base_url}"
        ),
    ),
    "adp_workforce_now": Ingestion(
        system="adp_workforce_now",
        resource="adp_workforce_now",
        error="WorkforceNowError",
        assets=lambda: build_adp_assets("kipptaf"),
        client=_adp_client,
        steps=lambda sandbox: [Step([workers_key("kipptaf")])],
        counts=lambda sandbox: {
            "kipptaf_adp_workforce_now.workers": ("true", sandbox.truth()["adp_workers"])
        },
        endpoint=lambda s: f"ADP's token service at {s.adp_workforce_now.token_url}",
    ),
}


def _resources(settings, path: Ingestion, client: Any) -> dict[str, Any]:
    resources = {**shared_resources(settings), path.resource: client}
    if path.system == "adp_workforce_now":  # the payroll assets beside workers need theirs
        resources["adp_sftp"] = ADPFiles(settings=settings.adp_sftp, config_file=_adp_yaml())
    return resources


def _load(sandbox, settings, path: Ingestion, client: Any, instance: DagsterInstance):
    """Every step of the path, in order; the first that fails ends it. Its result."""
    assets = path.assets()
    result = None
    for step in path.steps(sandbox):
        result = materialize(
            assets,
            selection=step.keys,
            partition_key=step.partition,
            resources=_resources(settings, path, client),
            instance=instance,
            raise_on_error=False,
        )
        if not result.success:
            break
    assert result is not None
    return result


def _rows(settings, table: str, where: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        rows = con.execute(f"select * from {table} where {where}").fetchall()
    return sorted(rows, key=repr)


def _lost(sandbox, settings, path: Ingestion) -> int:
    """Rows the truth holds that the tables do not, or that they hold twice."""
    return sum(
        abs(len(_rows(settings, table, where)) - expected)
        for table, (where, expected) in path.counts(sandbox).items()
    )


def _landed(settings, path: Ingestion, sandbox) -> dict[str, bytes]:
    """Every landed file of the path's assets, by path: a failure must change none."""
    files: dict[str, bytes] = {}
    for step in path.steps(sandbox):
        for key in step.keys:
            folder = settings.landing.root.joinpath(*key.path)
            for file in sorted(folder.rglob("*")) if folder.exists() else []:
                if file.is_file():
                    files[str(file)] = file.read_bytes()
    return files


def _snapshot(
    sandbox, settings, path: Ingestion
) -> tuple[dict[str, list[tuple]], dict[str, bytes]]:
    tables = {t: _rows(settings, t, w) for t, (w, _) in path.counts(sandbox).items()}
    return tables, _landed(settings, path, sandbox)


def _failure(result) -> list[tuple[str, str]]:
    """(type, message) of the failed step's error and every error it wraps."""
    [failure] = [e for e in result.all_events if e.is_step_failure]
    chain, error = [], failure.step_failure_data.error
    while error is not None:
        chain.append((error.cls_name, error.message))
        error = error.cause
    return chain


def _ours(result, error: str) -> str:
    """The message of the error at the root of the failure, which must be of the type
    ``error`` (the library's own, not an httpx or tenacity one that it let through)."""
    chain = _failure(result)
    cls, message = chain[-1]
    assert cls == error, chain
    qualified, _, text = message.partition(": ")  # Dagster writes "module.Type: text"
    assert qualified.endswith(f".{error}"), message
    return text.strip()


@pytest.fixture(scope="module")
def loaded(sandbox, settings) -> set[str]:
    """Paths loaded once without faults: the tables every fault test starts from."""
    return set()


def _baseline(sandbox, settings, path: Ingestion, loaded: set[str]) -> None:
    if path.system not in loaded:
        result = _load(sandbox, settings, path, path.client(settings, {}), _instance())
        assert result.success, _failure(result)
        loaded.add(path.system)
    assert _lost(sandbox, settings, path) == 0


def _instance() -> DagsterInstance:
    return DagsterInstance.ephemeral()


# --- a counting relay ------------------------------------------------------------------------


@dataclass
class Relay:
    """A real HTTP server on 127.0.0.1 passing every request on to ``upstream`` and
    recording (method, path) of each: how many requests a client really sent."""

    upstream: str
    url: str = ""
    requests: list[tuple[str, str]] | None = None


_HOP = {"connection", "keep-alive", "transfer-encoding", "host", "content-length"}


def _relay_handler(relay: Relay) -> type[BaseHTTPRequestHandler]:
    target = urlsplit(relay.upstream)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _pass_on(self) -> None:
            assert relay.requests is not None
            relay.requests.append((self.command, urlsplit(self.path).path))
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
            upstream = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
            try:
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():
                    if name.lower() not in _HOP:
                        self.send_header(name, value)
            finally:
                upstream.close()
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)

        do_GET = _pass_on
        do_POST = _pass_on

    return Handler


@pytest.fixture
def relay() -> Iterator[Callable[[str], Relay]]:
    servers: list[ThreadingHTTPServer] = []

    def start(upstream: str) -> Relay:
        state = Relay(upstream=upstream, requests=[])
        server = ThreadingHTTPServer(("127.0.0.1", 0), _relay_handler(state))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


# --- bursts ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 500])
@pytest.mark.parametrize("name", list(PATHS))
def test_a_burst_shorter_than_the_retries_is_asked_through(
    sandbox, settings, ledger, loaded, name, status
):
    path = PATHS[name]
    _baseline(sandbox, settings, path, loaded)
    with ledger.fault(f"{name}: HTTP {status} burst of {ATTEMPTS - 1}"):
        sandbox.faults.http_burst(path.system, status, ATTEMPTS - 1)
        try:
            result = _load(sandbox, settings, path, path.client(settings, {}), _instance())
            remaining = sandbox.faults.read()["http"][path.system]["remaining"]
        finally:
            sandbox.faults.http_burst(path.system, status, 0)
        assert result.success, _failure(result)
        assert remaining == 0  # the burst was served, and asked through
        lost = _lost(sandbox, settings, path)
        ledger.lost(lost)
        assert lost == 0


@pytest.mark.parametrize("name", list(PATHS))
def test_a_burst_longer_than_the_retries_fails_and_keeps_the_table(
    sandbox, settings, ledger, loaded, name
):
    path = PATHS[name]
    _baseline(sandbox, settings, path, loaded)
    before = _snapshot(sandbox, settings, path)
    with ledger.fault(f"{name}: HTTP 500 burst longer than the retries"):
        sandbox.faults.http_burst(path.system, 500, ATTEMPTS + 2)
        try:
            result = _load(sandbox, settings, path, path.client(settings, {}), _instance())
            remaining = sandbox.faults.read()["http"][path.system]["remaining"]
        finally:
            sandbox.faults.http_burst(path.system, 500, 0)
        assert not result.success
        assert remaining == 2  # exactly ATTEMPTS requests, then it gave up
        message = _ours(result, path.error)
        assert message == (
            f"{path.endpoint(settings)} still answered HTTP 500 after {ATTEMPTS} attempts"
        ), _failure(result)
        assert _snapshot(sandbox, settings, path) == before  # table and landed bytes
        lost = _lost(sandbox, settings, path)
        ledger.lost(lost)
        assert lost == 0


# --- refused keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class WrongKey:
    changes: dict[str, Any]  # the settings pointing at the wrong key file
    secrets: list[str]  # the wrong key and the real one(s): none may be shown
    request: tuple[str, str]  # the one request the client may send
    error: str  # the library's error type for a refused key
    message: str  # the error's message


def _wrong_enrollment(sandbox, settings, tmp_path: Path, relay: Relay) -> WrongKey:
    wrong = tmp_path / "enrollment_api_key"
    wrong.write_text("not-the-enrollment-key")
    real = Path(settings.enrollment.api_key_file).read_text().strip()
    return WrongKey(
        {"api_key_file": str(wrong), "base_url": relay.url},
        ["not-the-enrollment-key", real],
        ("GET", "/api/v1/publishedactions"),
        "EnrollmentAuthError",
        f"Enrollment API /api/v1/publishedactions at {relay.url} answered 401: the API key "
        f"was refused; check the key file {wrong}",
    )


def _wrong_deanslist(sandbox, settings, tmp_path: Path, relay: Relay) -> WrongKey:
    real = json.loads(Path(settings.deanslist.keys_file).read_text())
    wrong = {school: key[::-1] for school, key in real.items()}
    file = tmp_path / "deanslist_keys.json"
    file.write_text(json.dumps(wrong))
    school = _deanslist_config().school_ids[0]
    return WrongKey(
        {"keys_file": str(file), "base_url": relay.url},
        [*real.values(), *wrong.values()],
        ("GET", "/api/v1/behavior"),
        "DeansListAuthError",
        f"DeansList /api/v1/behavior for school {school} at {relay.url} answered 401: the "
        f"school's key was refused; check the entry for {school} in {file}",
    )


def _wrong_adp(sandbox, settings, tmp_path: Path, relay: Relay) -> WrongKey:
    wfn = settings.adp_workforce_now
    wrong = tmp_path / "adp_wfn_client_secret"
    wrong.write_text("not-the-adp-secret")
    real = Path(wfn.client_secret_file).read_text().strip()
    token_url = relay.url + ADP_TOKEN_PATH
    return WrongKey(
        {"client_secret_file": str(wrong), "base_url": relay.url, "token_url": token_url},
        ["not-the-adp-secret", real],
        ("POST", ADP_TOKEN_PATH),
        "WorkforceNowError",
        f"ADP's token service at {token_url} answered 401: check the client id "
        f"({wfn.client_id_file}) and secret ({wrong})",
    )


# Google Sheets has no key in `local` (the sandbox's export is "anyone with the link");
# its refused key file is in tests/teamster/libraries/google_sheets/test_google_sheets_auth.py
WRONG_KEYS = {
    "enrollment": (_wrong_enrollment, lambda s: s.enrollment.base_url),
    "deanslist": (_wrong_deanslist, lambda s: s.deanslist.base_url),
    "adp_workforce_now": (_wrong_adp, lambda s: s.adp_workforce_now.base_url),
}


@pytest.mark.parametrize("name", list(WRONG_KEYS))
def test_a_refused_key_is_asked_once_and_named_by_its_file(
    sandbox, settings, ledger, loaded, relay, tmp_path, name
):
    path = PATHS[name]
    _baseline(sandbox, settings, path, loaded)
    before = _snapshot(sandbox, settings, path)
    wrong_key, upstream = WRONG_KEYS[name]
    counting = relay(upstream(settings))
    case = wrong_key(sandbox, settings, tmp_path, counting)
    result = _load(sandbox, settings, path, path.client(settings, case.changes), _instance())
    assert not result.success
    assert counting.requests == [case.request]  # one request: a refused key is not retried
    message = _ours(result, case.error)
    assert message == case.message, _failure(result)
    shown = repr(_failure(result)) + "".join(
        str(e) for e in result.all_events
    )  # the error chain and every event of the run
    hits = sum(secret in shown for secret in case.secrets)
    ledger.leaked(hits)
    assert hits == 0
    assert _snapshot(sandbox, settings, path) == before
    ledger.refused(f"{name}: a key the vendor refuses")


# --- ADP's client beyond its asset -------------------------------------------------------------


def test_adp_unreachable_and_unreadable_files_are_its_own_errors(settings, ledger, tmp_path):
    """Every failure of the Workforce Now client is a WorkforceNowError naming the host or
    the file: a closed port after the retries, a client id file that is not there."""
    import socket

    from teamster.libraries.adp.schema import WorkforceNowError

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    token_url = closed + ADP_TOKEN_PATH
    api = _adp_client(settings, {"base_url": closed, "token_url": token_url})
    with pytest.raises(WorkforceNowError) as info, api.connect():
        pass
    assert type(info.value) is WorkforceNowError
    assert str(info.value) == (
        f"ADP's token service at {token_url}: cannot connect (ConnectError) after "
        f"{ATTEMPTS} attempts"
    )
    ledger.refused("adp_workforce_now: an unreachable token service")

    missing = tmp_path / "no_client_id"
    api = _adp_client(settings, {"client_id_file": str(missing)})
    with pytest.raises(WorkforceNowError) as info, api.connect():
        pass
    assert type(info.value) is WorkforceNowError
    assert str(info.value) == f"ADP client id file {missing} cannot be read (FileNotFoundError)"
    assert "Traceback" not in "".join(traceback.format_exception_only(info.value))
    ledger.refused("adp_workforce_now: a client id file that is not there")
