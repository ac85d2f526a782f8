"""HTTP servers imitating vendor APIs: PowerSchool Enrollment, DeansList, Google Sheets and
ADP Workforce Now.

Each system is a standard-library ``ThreadingHTTPServer`` on 127.0.0.1 in a daemon thread.
Everything is read from files under the sandbox dir on each request, because another
process (``advance``, the fault CLI) rewrites them at any time by atomic rename:

  http/enrollment/actions.json                  published actions (objects with "id")
  http/enrollment/submissions/<action_id>.json  submission records of one action
  http/deanslist/<DeansList school id>/{incidents,behavior}.json
  http/sheets/<sheet_id>.csv
  http/adp_workforce_now/workers.json           ADP Workforce Now worker objects
  secrets/adp_wfn_client_id, secrets/adp_wfn_client_secret (ADP's OAuth client)
  secrets/enrollment_api_key, secrets/deanslist_keys.json (DeansList school id -> key)
  faults.json                                   {"http": {system: {"status", "remaining"}}}
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import datetime as dt
import hmac
import json
import os
import re
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from teamster.core.settings.local import HTTP_SYSTEMS

# PowerSchool Enrollment: basic auth with the API key as user name and no password;
# records come in pages of `pagesize` (default 50; the largest size the vendor allows
# is not published, 1000 is known to work).
DEFAULT_PAGESIZE = 50
MAX_PAGESIZE = 1000
# DeansList behaviour pages: `page_size` rows (default when not asked: an assumption)
DEANSLIST_DEFAULT_PAGE_SIZE = 1000

# Ids taken from the URL or the keys file become path parts: only these shapes are allowed.
_INT = re.compile(r"-?[0-9]+")
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-]+")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ACTIONS = "/api/v1/publishedactions"
_SUBMISSIONS = re.compile(r"/api/v1/publishedactions/([0-9]{1,18})/submissionrecords")
_DEANSLIST = {"/api/v1/incidents": "incidents", "/api/v1/behavior": "behavior"}
_SHEET = re.compile(r"/spreadsheets/d/([A-Za-z0-9_-]+)/export")

# Servers in one process decrement the same faults.json; the lock keeps each
# read-modify-write whole so a burst of N fires exactly N times.
_FAULTS_LOCK = threading.Lock()

Query = dict[str, list[str]]


class _Reply(Exception):
    """An error answer, raised from deep in a handler to end the request early."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


# --- files ------------------------------------------------------------------------------


def _read_json(path: Path, default: Any) -> Any:
    """A JSON file, or ``default`` when it does not exist (no data published yet)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Reply(500, f"{path.name} is not valid JSON") from exc


def _read_list(path: Path) -> list[Any]:
    value = _read_json(path, [])
    if not isinstance(value, list):
        raise _Reply(500, f"{path.name} is not a JSON list")
    return value


def _write_json_atomic(path: Path, value: Any) -> None:
    """Replace ``path`` by rename so a reader in another process never sees half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(value, f, indent=1)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _take_fault(root: Path, system: str) -> int | None:
    """Consume one request of an active burst for ``system``: its status, or None if none.

    Other keys of faults.json are written back untouched; a spent entry stays with 0.
    """
    path = root / "faults.json"
    with _FAULTS_LOCK:
        try:
            faults = json.loads(path.read_text(encoding="utf-8") or "{}")
        except (FileNotFoundError, json.JSONDecodeError):
            return None  # absent, or a non-atomic writer mid-write: no fault this time
        bursts = faults.get("http") if isinstance(faults, dict) else None
        entry = bursts.get(system) if isinstance(bursts, dict) else None
        if not isinstance(entry, dict):
            return None
        status, remaining = entry.get("status"), entry.get("remaining")
        if not isinstance(status, int) or not isinstance(remaining, int) or remaining <= 0:
            return None
        entry["remaining"] = remaining - 1
        _write_json_atomic(path, faults)
        return status


# --- request helpers --------------------------------------------------------------------


def _param(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _int_param(query: Query, name: str, default: int) -> int:
    value = _param(query, name)
    if value is None:
        return default
    if not _INT.fullmatch(value):
        raise _Reply(400, f"{name} must be an integer")
    return int(value)


def _date_param(query: Query, name: str) -> dt.date | None:
    value = _param(query, name)
    if value is None:
        return None
    try:
        if not _DATE.fullmatch(value):
            raise ValueError(value)
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise _Reply(400, f"{name} must be a date YYYY-MM-DD") from exc


def _row_date(value: Any) -> dt.date | None:
    """The date of "2026-10-05" or "2026-10-05 11:00:00"; None when there is none."""
    if not isinstance(value, str) or not _DATE.fullmatch(value[:10]):
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def _page(rows: list[Any], query: Query) -> dict[str, Any]:
    """PowerSchool Enrollment paging: 1-based pages of `pagesize` (1..1000), empty past the
    end; the metadata comes first, then the records. An action without records still
    has one (empty) page."""
    page = _int_param(query, "page", 1)
    size = _int_param(query, "pagesize", DEFAULT_PAGESIZE)
    if page < 1:
        raise _Reply(400, "page must be >= 1")
    if not 1 <= size <= MAX_PAGESIZE:
        raise _Reply(400, f"pagesize must be between 1 and {MAX_PAGESIZE}")
    total = len(rows)
    start = (page - 1) * size
    return {
        "metadata": {"pageCount": max(1, -(-total // size)), "recordCount": total},
        "records": rows[start : start + size],
    }


# --- the three APIs ---------------------------------------------------------------------
# Each takes (root, path, query, Authorization header) and returns (content type, body).

Response = tuple[str, bytes]


def _json(value: Any) -> Response:
    return "application/json", json.dumps(value).encode()


def _check_basic_auth(root: Path, authorization: str | None) -> None:
    """Enrollment's basic auth: the API key is the user name, the password is empty."""
    unauthorized = _Reply(
        401,
        "You are not authorized to access this resource.",
        {"WWW-Authenticate": 'Basic realm="enrollment"'},
    )
    try:
        key = (root / "secrets" / "enrollment_api_key").read_text().strip()
    except FileNotFoundError as exc:
        raise _Reply(500, "the server has no API key configured") from exc
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        raise unauthorized
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise unauthorized from exc
    user, sep, password = decoded.partition(b":")
    if not (sep and hmac.compare_digest(user, key.encode()) and password == b""):
        raise unauthorized


def _enrollment(root: Path, path: str, query: Query, authorization: str | None) -> Response:
    """The published actions (a plain list), or one action's records (paged)."""
    match = _SUBMISSIONS.fullmatch(path)
    if path != _ACTIONS and match is None:
        raise _Reply(404, "not found")
    _check_basic_auth(root, authorization)
    base = root / "http" / "enrollment"
    actions = _read_list(base / "actions.json")
    if match is None:
        return _json(actions)
    action_id = int(match.group(1))
    if not any(isinstance(a, dict) and a.get("id") == action_id for a in actions):
        raise _Reply(404, f"published action {action_id} not found")
    return _json(_page(_read_list(base / "submissions" / f"{action_id}.json"), query))


def _deanslist_school(root: Path, apikey: str | None) -> str:
    """The DeansList school whose key is ``apikey``; DeansList keys are per school."""
    if not apikey:
        raise _Reply(401, "missing apikey")
    keys = _read_json(root / "secrets" / "deanslist_keys.json", {})
    if not isinstance(keys, dict):
        raise _Reply(500, "deanslist_keys.json is not a JSON object")
    found = None
    for school, key in keys.items():
        if isinstance(key, str) and hmac.compare_digest(key.encode(), apikey.encode()):
            found = str(school)
    if found is None or not _SAFE_NAME.fullmatch(found):
        raise _Reply(401, "invalid apikey")
    return found


def _deanslist(root: Path, path: str, query: Query, authorization: str | None) -> Response:
    """DeansList's incidents (whole window; deleted ones apart with IncludeDeleted=Y) and
    behaviour (in pages). ``StartDate``/``EndDate`` bound the day a row is about
    (inclusive), ``UpdatedSince`` the day it last changed."""
    endpoint = _DEANSLIST.get(path)
    if endpoint is None:
        raise _Reply(404, "not found")
    school = _deanslist_school(root, _param(query, "apikey"))
    since = _date_param(query, "UpdatedSince")
    start, end = _date_param(query, "StartDate"), _date_param(query, "EndDate")
    if start is not None and end is not None and start > end:
        raise _Reply(400, "StartDate is after EndDate")
    rows = _read_list(root / "http" / "deanslist" / school / f"{endpoint}.json")
    about, changed = (
        ("IssueTS", "UpdateTS") if endpoint == "incidents" else ("BehaviorDate", "DL_LASTUPDATE")
    )
    picked = [
        r
        for r in rows
        if _within(_row_date(_get(r, about)), start, end)
        and (since is None or ((d := _row_date(_get(r, changed))) is not None and d >= since))
    ]
    if endpoint == "behavior":
        return _json(_deanslist_page(picked, query))
    extras = {"Custom_Fields": _param(query, "cf"), "Attachments": _param(query, "attachments")}
    shown = [
        {k: v for k, v in r.items() if extras.get(k, "Y") == "Y"}
        for r in picked
        if isinstance(r, dict)
    ]
    live = [r for r in shown if r.get("IsActive") is not False]
    body: dict[str, Any] = {"rowcount": len(live), "data": live}
    if _param(query, "IncludeDeleted") == "Y":
        deleted = [r for r in shown if r.get("IsActive") is False]
        body.update(deleted_rowcount=len(deleted), deleted_data=deleted)
    return _json(body)


def _within(day: dt.date | None, start: dt.date | None, end: dt.date | None) -> bool:
    if day is None:
        return start is None and end is None
    return (start is None or day >= start) and (end is None or day <= end)


def _deanslist_page(rows: list[Any], query: Query) -> dict[str, Any]:
    """A DeansList page: 1-based `page` of `page_size` rows, with the totals."""
    page = _int_param(query, "page", 1)
    size = _int_param(query, "page_size", DEANSLIST_DEFAULT_PAGE_SIZE)
    if page < 1 or size < 1:
        raise _Reply(400, "page and page_size must be >= 1")
    first = (page - 1) * size
    return {
        "total_count": len(rows),
        "total_pages": -(-len(rows) // size),
        "data": rows[first : first + size],
    }


def _get(row: Any, key: str) -> Any:
    """A row's field; a DeansList date object gives its ``date``."""
    value = row.get(key) if isinstance(row, dict) else None
    return value.get("date") if isinstance(value, dict) else value


def _sheets(root: Path, path: str, query: Query, authorization: str | None) -> Response:
    match = _SHEET.fullmatch(path)
    if match is None:
        raise _Reply(404, "not found")
    if _param(query, "format") != "csv":
        raise _Reply(400, "only format=csv is supported")
    try:
        body = (root / "http" / "sheets" / f"{match.group(1)}.csv").read_bytes()
    except (FileNotFoundError, IsADirectoryError) as exc:
        raise _Reply(404, f"sheet {match.group(1)} not found") from exc
    return "text/csv; charset=utf-8", body


# --- ADP Workforce Now -------------------------------------------------------------------
# OAuth 2.0 client credentials: POST /auth/oauth/v2/token with the client id and secret as
# basic auth and grant_type=client_credentials gives a bearer token for an hour (the real
# service also requires a client certificate, which loopback HTTP cannot ask for). GET
# /hr/v2/workers pages with $top (at most 100, more is served as 100) and $skip; the page
# after the last is 204 No Content. Tokens are signed, not stored, so any server process
# that can read the secrets can check them.

ADP_TOKEN_PATH = "/auth/oauth/v2/token"
ADP_WORKERS_PATH = "/hr/v2/workers"
ADP_MAX_TOP = 100
ADP_TOKEN_SECONDS = 3600
_ADP_MAX_BODY = 64 * 1024


def _adp_secret(root: Path, name: str) -> bytes:
    try:
        return (root / "secrets" / name).read_text().strip().encode()
    except FileNotFoundError as exc:
        raise _Reply(500, "the server has no ADP client configured") from exc


def _adp_signature(root: Path, expires: str) -> str:
    key = _adp_secret(root, "adp_wfn_client_secret")
    return hmac.new(key, f"adp-token:{expires}".encode(), "sha256").hexdigest()


def _adp_token(root: Path, path: str, body: bytes, authorization: str | None) -> Response:
    """Issue a bearer token to a client whose basic-auth id and secret match."""
    if path != ADP_TOKEN_PATH:
        raise _Reply(404, "not found")
    refused = _Reply(401, "invalid_client", {"WWW-Authenticate": 'Basic realm="adp"'})
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        raise refused
    try:
        client, sep, given = base64.b64decode(encoded.strip(), validate=True).partition(b":")
    except (binascii.Error, ValueError) as exc:
        raise refused from exc
    client_ok = hmac.compare_digest(client, _adp_secret(root, "adp_wfn_client_id"))
    secret_ok = hmac.compare_digest(given, _adp_secret(root, "adp_wfn_client_secret"))
    if not (sep and client_ok and secret_ok):
        raise refused
    form = parse_qs(body.decode("utf-8", "replace"))
    if form.get("grant_type") != ["client_credentials"]:
        raise _Reply(400, "unsupported_grant_type")
    expires = str(int(time.time()) + ADP_TOKEN_SECONDS)
    return _json(
        {
            "access_token": f"{expires}.{_adp_signature(root, expires)}",
            "token_type": "Bearer",
            "expires_in": ADP_TOKEN_SECONDS,
            "scope": "api",
        }
    )


def _adp_bearer_ok(root: Path, authorization: str | None) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    expires, _, signature = token.strip().partition(".")
    if scheme.lower() != "bearer" or not _INT.fullmatch(expires):
        return False
    expected = _adp_signature(root, expires).encode()
    return hmac.compare_digest(signature.encode(), expected) and int(expires) > time.time()


def _adp_workers(root: Path, path: str, query: Query, authorization: str | None) -> Response:
    """One page of workers ({"workers": [...]}), or 204 past the last."""
    if path != ADP_WORKERS_PATH:
        raise _Reply(404, "not found")
    if not _adp_bearer_ok(root, authorization):
        raise _Reply(401, "invalid or expired access token", {"WWW-Authenticate": "Bearer"})
    top = _int_param(query, "$top", ADP_MAX_TOP)
    skip = _int_param(query, "$skip", 0)
    if top < 1 or skip < 0:
        raise _Reply(400, "$top must be >= 1 and $skip >= 0")
    workers = _read_list(root / "http" / "adp_workforce_now" / "workers.json")
    page = workers[skip : skip + min(top, ADP_MAX_TOP)]
    if not page:
        raise _NoContent
    return _json({"workers": page})


class _NoContent(Exception):
    """A 204 answer: nothing (more) to return."""


_POST_APIS: dict[str, Callable[[Path, str, bytes, str | None], Response]] = {
    "adp_workforce_now": _adp_token,
}


# the key an API's error bodies put their message under (Enrollment: {"message": ...})
_ERROR_KEYS = {"enrollment": "message"}

_APIS: dict[str, Callable[[Path, str, Query, str | None], Response]] = {
    "enrollment": _enrollment,
    "deanslist": _deanslist,
    "sheets": _sheets,
    "adp_workforce_now": _adp_workers,
}


# --- serving ----------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    """Routes one system's requests; faults first, then method, path, auth."""

    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, like the real APIs
    timeout = 60  # idle keep-alive connections do not hold a thread forever
    disable_nagle_algorithm = True  # headers and body go out separately; don't wait on ACKs

    def version_string(self) -> str:
        return f"sandbox-{self.server.system}"

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests and the CLI share the terminal."""

    def __getattr__(self, name: str) -> Any:
        # Every method but GET gets 405, not the base class's 501 for unknown methods.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def do_GET(self) -> None:
        self._serve(get=True)

    def _not_allowed(self) -> None:
        self._serve(get=False)

    def do_POST(self) -> None:
        """Systems with a POST endpoint (ADP's token) read the form body; others: 405."""
        post = _POST_APIS.get(self.server.system)
        if post is None:
            self._not_allowed()
            return
        root, status, headers = self.server.root, 200, {}
        try:
            fault = _take_fault(root, self.server.system)
            if fault is not None:
                retry = {"Retry-After": "1"} if fault == 429 else {}
                raise _Reply(fault, f"injected fault: {_phrase(fault)}", retry)
            length = self.headers.get("Content-Length", "0")
            if not _INT.fullmatch(length) or not 0 <= int(length) <= _ADP_MAX_BODY:
                raise _Reply(413, "the request body is missing or too large")
            body = self.rfile.read(int(length))
            url = urlsplit(self.path)
            content_type, answer = post(root, url.path, body, self.headers.get("Authorization"))
        except _Reply as reply:
            status, headers = reply.status, reply.headers
            content_type, answer = "application/json", json.dumps({"error": reply.message}).encode()
        self._send(status, content_type, answer, headers)

    def _serve(self, get: bool) -> None:
        root, system = self.server.root, self.server.system
        status: int = 200
        headers: dict[str, str] = {}
        try:
            fault = _take_fault(root, system)
            if fault is not None:
                retry = {"Retry-After": "1"} if fault == 429 else {}
                raise _Reply(fault, f"injected fault: {_phrase(fault)}", retry)
            if not get:
                raise _Reply(405, "only GET is supported", {"Allow": "GET"})
            url = urlsplit(self.path)
            query = parse_qs(url.query, keep_blank_values=True)
            auth = self.headers.get("Authorization")
            content_type, body = _APIS[system](root, url.path, query, auth)
        except _NoContent:
            status, content_type, body = 204, "application/json", b""
        except _Reply as reply:
            status, headers = reply.status, reply.headers
            error = {_ERROR_KEYS.get(system, "error"): reply.message}
            content_type, body = "application/json", json.dumps(error).encode()
        except Exception as exc:  # a bad data file must not leave the client hanging
            status, content_type = 500, "application/json"
            body = json.dumps({"error": f"{type(exc).__name__}: {exc}"}).encode()
        self._send(status, content_type, body, headers)

    def _send(
        self, status: int, content_type: str, body: bytes, headers: dict[str, str] | None = None
    ) -> None:
        if self.headers.get("Content-Length", "0") != "0" or "Transfer-Encoding" in self.headers:
            self.close_connection = True  # a request body we never read would poison the stream
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return str(status)


class _Server(ThreadingHTTPServer):
    """Remembers open connections so ``stop`` can cut keep-alive clients too."""

    daemon_threads = True

    def __init__(self, port: int, system: str, root: Path):
        self.system = system
        self.root = root
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients hanging up mid-response are normal; anything else is worth a traceback."""
        if not isinstance(sys.exception(), OSError):
            super().handle_error(request, client_address)

    def close_connections(self) -> None:
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):  # already closed by its handler
                sock.shutdown(socket.SHUT_RDWR)


class HTTPServerThread:
    """One server in a daemon thread."""

    def __init__(self, server: _Server):
        self._server = server
        self.port: int = server.server_address[1]
        self._stopped = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long stop() waits
            name=f"sandbox-http-{server.system}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving, close the port and open connections; safe to call twice."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        self._server.shutdown()
        self._server.server_close()
        self._server.close_connections()
        self._thread.join(timeout=5)


def start_http(system: str, port: int, root: Path) -> HTTPServerThread:
    """Start `system`'s server on 127.0.0.1:port serving files under `root` (the sandbox dir)."""
    if system not in HTTP_SYSTEMS:
        raise ValueError(f"unknown HTTP system {system!r}; expected one of {HTTP_SYSTEMS}")
    return HTTPServerThread(_Server(port, system, Path(root)))
