"""Google service-account auth for Sheets, against stand-ins for Google on 127.0.0.1.

Google's OAuth token endpoint cannot run here. The stand-in below does what it does
for a service account: it checks the JWT grant (form fields, RS256 signature against
the account's public key, issuer, audience, scope, lifetime) and issues an access
token. The sandbox's Sheets server checks no token, so a second stand-in checks the
bearer token and passes the request on to it. The key file points at the stand-in by
its own ``token_uri``, the same field a real key uses for Google's endpoint.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import duckdb
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from dagster import DagsterInstance, Definitions

from support import prod_settings
from teamster.core.http import Retries
from teamster.core.resources import shared_resources
from teamster.libraries.google_sheets.assets import build_google_sheet_assets
from teamster.libraries.google_sheets.config import load_sheets_config
from teamster.libraries.google_sheets.resources import SCOPE, GoogleSheets, GoogleSheetsError

CONFIG = Path(__file__).parents[4] / "src/teamster/code_locations/kipptaf/config/google_sheets.yaml"
ACCOUNT = "teamster-sheets@teamster-test.iam.gserviceaccount.com"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


@dataclass
class _Google:
    """What the two stand-ins share: the account's public key, the tokens issued and
    still honoured, and every request the Sheets stand-in saw."""

    private_key: rsa.RSAPrivateKey  # the account's; only the key file holds it
    token_uri: str = ""
    expires_in: int = 3600
    refuse_all: bool = False  # the Sheets stand-in honours no token at all
    issued: list[str] = field(default_factory=list)
    honoured: set[str] = field(default_factory=set)
    grants: list[dict] = field(default_factory=list)
    sheet_requests: list[str | None] = field(default_factory=list)
    upstream: str = ""  # the sandbox's Sheets server


def _check_grant(google: _Google, form: dict[str, list[str]]) -> str | None:
    """Why the JWT grant is refused, or None: what Google's token endpoint checks."""
    if form.get("grant_type") != [JWT_BEARER]:
        return "unsupported_grant_type"
    [assertion] = form.get("assertion", [""])
    try:
        head, body, signature = assertion.split(".")
        header, claims = json.loads(_b64(head)), json.loads(_b64(body))
        google.private_key.public_key().verify(
            _b64(signature), f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except (ValueError, InvalidSignature):
        return "invalid_grant: Invalid JWT Signature."
    now = time.time()
    if header.get("alg") != "RS256" or claims.get("iss") != ACCOUNT:
        return "invalid_grant: wrong algorithm or issuer"
    # Google's endpoint is the audience, wherever the key's token_uri points
    if claims.get("aud") != GOOGLE_TOKEN_AUDIENCE or claims.get("scope") != SCOPE:
        return "invalid_scope: wrong audience or scope"
    if not claims["iat"] - 60 <= now < claims["exp"] <= claims["iat"] + 3600:
        return "invalid_grant: Invalid JWT: Token must be a short-lived token"
    return None


def _handler(google: _Google) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:  # the OAuth token endpoint
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
            form = parse_qs(body)
            google.grants.append(form)
            refused = None
            if self.path != "/token":
                refused = "not_found"
            elif self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
                refused = "invalid_request: not a form"
            else:
                refused = _check_grant(google, form)
            if refused:
                error, _, description = refused.partition(": ")
                answer = {"error": error, "error_description": description}
                return self._reply(400, "application/json", json.dumps(answer).encode())
            token = f"ya29.standin-{len(google.issued) + 1}"
            google.issued.append(token)
            google.honoured.add(token)
            answer = {
                "access_token": token,
                "expires_in": google.expires_in,
                "token_type": "Bearer",
            }
            self._reply(200, "application/json", json.dumps(answer).encode())

        def do_GET(self) -> None:  # docs.google.com: the bearer token, then the sandbox
            auth = self.headers.get("Authorization")
            google.sheet_requests.append(auth)
            token = (auth or "").removeprefix("Bearer ")
            honoured = token in google.honoured and not google.refuse_all
            if not auth or not auth.startswith("Bearer ") or not honoured:
                return self._reply(401, "text/html", b"<html>Unauthorized</html>")
            try:
                with urllib.request.urlopen(google.upstream + self.path, timeout=10) as answer:
                    status, body = answer.status, answer.read()
                    content_type = answer.headers["Content-Type"]
            except urllib.error.HTTPError as e:
                status, body, content_type = e.code, e.read(), e.headers["Content-Type"]
            self._reply(status, content_type, body)

    return Handler


@pytest.fixture
def google(settings, sandbox) -> Iterator[_Google]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    state = _Google(private_key=key, upstream=settings.google_sheets.base_url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.token_uri = f"http://127.0.0.1:{server.server_port}/token"
    yield state
    server.shutdown()
    server.server_close()


def _pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _key_file(tmp_path: Path, google: _Google, key: rsa.RSAPrivateKey | None = None) -> Path:
    """A service-account key file as the Cloud console writes it, ``token_uri`` aside."""
    path = tmp_path / "service_account.json"
    info = {
        "type": "service_account",
        "project_id": "teamster-test",
        "private_key_id": "0123456789abcdef",
        "private_key": _pem(key or google.private_key),
        "client_email": ACCOUNT,
        "client_id": "100000000000000000001",
        "token_uri": google.token_uri,
    }
    path.write_text(json.dumps(info))
    return path


def _key_lines(path: Path) -> list[str]:
    """The private key's base64 lines: none may show up in an error or a log."""
    pem = json.loads(path.read_text())["private_key"]
    return [line for line in pem.splitlines() if line and not line.startswith("-----")]


def _sheets(google: _Google, key_file: Path, proxy_port: str) -> GoogleSheets:
    """The client as prod builds it: URL and key file from the prod variables."""
    prod = prod_settings(
        {
            "TEAMSTER_GOOGLE_SHEETS_URL": f"http://127.0.0.1:{proxy_port}",
            "TEAMSTER_GOOGLE_SHEETS_CREDENTIALS_FILE": str(key_file),
        }
    )
    assert prod.google_sheets.credentials_file == str(key_file)
    return GoogleSheets(
        settings=prod.google_sheets, retries=Retries(attempts=3, first_wait=0.01, max_wait=0.05)
    )


def _port(google: _Google) -> str:
    return google.token_uri.split(":")[2].split("/")[0]  # one server plays both hosts


def _scan_logs(caplog: pytest.LogCaptureFixture, secrets: list[str]) -> None:
    for record in caplog.records:
        text = repr(record.__dict__) + record.getMessage()
        assert not [s for s in secrets if s in text], record.name


def test_the_sheet_is_read_with_the_service_accounts_token_fetched_once(
    google, sandbox, settings, tmp_path, caplog
):
    caplog.set_level(logging.DEBUG)
    key_file = _key_file(tmp_path, google)
    sheets = _sheets(google, key_file, _port(google))
    served = sandbox.root / "http" / "sheets"
    with sheets.connect() as s:
        assert s.export_csv("1networkgoals") == (served / "1networkgoals.csv").read_bytes()
        assert s.export_csv("1schoolleaders") == (served / "1schoolleaders.csv").read_bytes()
    with sheets.connect() as s:  # a later connect reuses the token while it lives
        s.export_csv("1networkgoals")

    [grant] = google.grants
    assert grant["grant_type"] == [JWT_BEARER]
    assert google.issued == ["ya29.standin-1"]
    assert google.sheet_requests == ["Bearer ya29.standin-1"] * 3
    _scan_logs(caplog, _key_lines(key_file) + google.issued)


def test_every_configured_sheet_materializes_on_one_token(google, sandbox, settings, tmp_path):
    sheets = _sheets(google, _key_file(tmp_path, google), _port(google))
    config = load_sheets_config(CONFIG)
    defs = Definitions(
        assets=build_google_sheet_assets("kipptaf", config),
        resources={**shared_resources(settings), "google_sheets": sheets},
    )
    job = defs.resolve_implicit_global_asset_job_def()
    assert job.execute_in_process(instance=DagsterInstance.ephemeral()).success

    assert len(google.issued) == 1
    assert len(google.sheet_requests) == len(config.sheets)
    assert set(google.sheet_requests) == {"Bearer ya29.standin-1"}
    truth = sandbox.truth()["sheets_rows"]
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        for sheet in config.sheets:
            table = f"kipptaf_google_sheets.{sheet.table}"
            [(count,)] = con.execute(f"select count(*) from {table}").fetchall()
            assert count == truth[sheet.sheet_id], table


def test_a_token_about_to_expire_is_renewed_before_it_is_sent(google, sandbox, tmp_path):
    google.expires_in = 60  # inside google-auth's refresh margin (3 min 45 s)
    sheets = _sheets(google, _key_file(tmp_path, google), _port(google))
    with sheets.connect() as s:
        s.export_csv("1networkgoals")
        s.export_csv("1networkgoals")
    assert google.issued == ["ya29.standin-1", "ya29.standin-2"]
    assert google.sheet_requests == [f"Bearer {t}" for t in google.issued]


def test_a_revoked_token_is_renewed_once_then_refused_clearly(google, sandbox, tmp_path):
    key_file = _key_file(tmp_path, google)
    sheets = _sheets(google, key_file, _port(google))
    with sheets.connect() as s:
        s.export_csv("1networkgoals")
        google.honoured.clear()  # revoked: the next request is answered 401
        s.export_csv("1networkgoals")
        assert google.sheet_requests == [
            "Bearer ya29.standin-1",
            "Bearer ya29.standin-1",
            "Bearer ya29.standin-2",
        ]
        google.refuse_all = True  # the renewed token is refused too
        with pytest.raises(
            GoogleSheetsError, match=f"answered 401: share the sheet with .*{key_file}"
        ):
            s.export_csv("1networkgoals")
    assert len(google.grants) == 3  # one renewal per refusal, not a loop


def _refused_export(google, key_file: Path) -> str:
    """The message of the GoogleSheetsError an export with ``key_file`` raises."""
    with (
        pytest.raises(GoogleSheetsError) as info,
        _sheets(google, key_file, _port(google)).connect() as s,
    ):
        s.export_csv("1networkgoals")
    return str(info.value)


def test_a_refused_grant_names_the_account_and_never_the_key(google, sandbox, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = _key_file(tmp_path, google, key=stranger)  # a key Google does not know
    message = _refused_export(google, key_file)
    assert f"Google refused a token to service account {ACCOUNT} ({key_file})" in message
    assert "invalid_grant" in message and "Invalid JWT Signature" in message
    assert google.sheet_requests == []  # no request goes out without a token
    assert len(google.grants) == 1  # a refused grant is not asked again
    assert not [line for line in _key_lines(key_file) if line in message]
    _scan_logs(caplog, _key_lines(key_file))


def test_a_broken_key_file_is_named_and_its_material_stays_out(google, tmp_path):
    key_file = _key_file(tmp_path, google)
    info = json.loads(key_file.read_text())
    lines = info["private_key"].splitlines()
    lines[5] = lines[5][::-1]  # one line of the key garbled
    info["private_key"] = "\n".join(lines)
    key_file.write_text(json.dumps(info))
    for broken in (key_file, tmp_path / "mounted.pem"):
        if broken.suffix == ".pem":  # the PEM mounted where the JSON key belongs
            broken.write_text(info["private_key"])
        message = _refused_export(google, broken)
        assert f"{broken} is not a service-account key file" in message
        assert not [line for line in _key_lines(key_file) if line in message], message
    assert google.grants == [] and google.sheet_requests == []


def test_an_unreachable_token_endpoint_is_a_clear_error(google, tmp_path):
    key_file = _key_file(tmp_path, google)
    info = json.loads(key_file.read_text())
    info["token_uri"] = f"http://127.0.0.1:{_closed_port()}/token"
    key_file.write_text(json.dumps(info))
    message = _refused_export(google, key_file)
    assert f"cannot reach Google's token endpoint for service account {ACCOUNT}" in message
    assert not [line for line in _key_lines(key_file) if line in message]
