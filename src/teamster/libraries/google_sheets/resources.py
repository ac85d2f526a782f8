"""An httpx client for Google Sheets' CSV export (``/spreadsheets/d/<id>/export``).

429 and 5xx answers and transport failures are retried with exponential backoff and
jitter; anything else (refused credentials, an unknown sheet, a sign-in redirect, an
answer that is not CSV or cannot be decoded) fails at once with a message naming the
sheet and the host, always as a ``GoogleSheetsError``. In prod every
request carries a service account's access token (``ServiceAccountAuth``), fetched from
the key file's ``token_uri`` and reused while it lives; the sandbox needs none.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Generator, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
from dagster import ConfigurableResource
from pydantic import PrivateAttr

from teamster.core.http import Retries, send_with_retries
from teamster.core.settings import GoogleSheetsSettings

SCOPE = "https://www.googleapis.com/auth/drive.readonly"


class GoogleSheetsError(RuntimeError):
    """A sheet could not be read; the message names it and says what to check."""


class ServiceAccountAuth(httpx.Auth):
    """A service account's bearer token on every request (google-auth, prod extra).

    The token is fetched from the key file's ``token_uri`` (a signed JWT grant) when
    there is none or it is within google-auth's refresh margin of expiring, and kept
    for every later request and ``connect()``: one token per hour, not per sheet. A
    401 answer fetches a new one once (a revoked token). No error or log line carries
    the key's private material.
    """

    def __init__(self, key_file: Path):
        self.key_file = key_file
        self._credentials: Any = None
        self._lock = threading.Lock()

    def _secret_lines(self) -> list[str]:
        """Lines of the private key (or of the file, if it is not JSON) to scrub."""
        try:
            text = self.key_file.read_text()
        except OSError:
            return []
        with suppress(ValueError, AttributeError):  # not JSON: scrub the whole file's lines
            text = str(json.loads(text).get("private_key", ""))
        return [line.strip() for line in text.splitlines() if len(line.strip()) >= 16]

    def _fail(self, what: str, e: Exception) -> GoogleSheetsError:
        reason = str(e.args[0]) if e.args else type(e).__name__
        for line in self._secret_lines():
            reason = reason.replace(line, "***")
        return GoogleSheetsError(f"{what}: {type(e).__name__}: {reason[:300]}")

    def _load(self) -> Any:
        try:  # imported here: google-auth and requests come with the prod extra
            import google.auth.transport.requests  # noqa: F401
            from google.oauth2 import service_account
        except ImportError:
            raise GoogleSheetsError(
                "a Google Sheets credentials file needs google-auth: install teamster[prod]"
            ) from None
        if not self.key_file.exists():
            raise GoogleSheetsError(f"Google credentials file {self.key_file} does not exist")
        try:
            return service_account.Credentials.from_service_account_file(
                str(self.key_file), scopes=[SCOPE]
            )
        except (ValueError, KeyError, TypeError) as e:
            raise self._fail(f"{self.key_file} is not a service-account key file", e) from None

    def token(self, renew: bool = False) -> str:
        """A token with time to live; ``renew`` fetches a new one regardless."""
        with self._lock:
            if self._credentials is None:
                self._credentials = self._load()
            credentials = self._credentials
            from google.auth import exceptions
            from google.auth.credentials import TokenState
            from google.auth.transport.requests import Request

            if renew or credentials.token_state is not TokenState.FRESH:
                who = f"service account {credentials.service_account_email} ({self.key_file})"
                try:
                    credentials.refresh(Request())
                except exceptions.RefreshError as e:
                    raise self._fail(f"Google refused a token to {who}", e) from None
                except exceptions.TransportError as e:
                    raise self._fail(f"cannot reach Google's token endpoint for {who}", e) from None
            return credentials.token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {self.token(renew=True)}"
            yield request


class GoogleSheets(ConfigurableResource):
    """The resource behind the sheet assets: ``with sheets.connect() as s: s.export_csv(...)``.
    Its config names the key file; the open client and the token live in private state."""

    settings: GoogleSheetsSettings
    retries: Retries = Retries()
    _client: httpx.Client | None = PrivateAttr(default=None)
    _auth: ServiceAccountAuth | None = PrivateAttr(default=None)

    @contextmanager
    def connect(self) -> Iterator[GoogleSheets]:
        if self.settings.credentials_file is not None and self._auth is None:
            self._auth = ServiceAccountAuth(Path(self.settings.credentials_file))
        with httpx.Client(
            base_url=self.settings.base_url, timeout=60, auth=self._auth, follow_redirects=False
        ) as client:
            self._client = client
            try:
                yield self
            finally:
                self._client = None

    def url(self, sheet_id: str, gid: int) -> str:
        return f"{self.settings.base_url}/spreadsheets/d/{sheet_id}/export?format=csv&gid={gid}"

    def export_csv(self, sheet_id: str, gid: int = 0) -> bytes:
        """The CSV bytes of one tab (``gid``) of a spreadsheet."""
        if self._client is None:
            raise RuntimeError("use `with sheets.connect():` first")
        client = self._client
        name = f"Google Sheet {sheet_id!r} (gid {gid}) at {self.settings.base_url}"
        response = send_with_retries(
            lambda: client.get(
                f"/spreadsheets/d/{sheet_id}/export", params={"format": "csv", "gid": gid}
            ),
            name,
            self.retries,
            error=GoogleSheetsError,
        )
        return self._body(name, response)

    def _body(self, name: str, response: httpx.Response) -> bytes:
        status = response.status_code
        if status in (401, 403):
            who = (
                f"the service account in {self.settings.credentials_file}"
                if self.settings.credentials_file
                else "anyone with the link"
            )
            raise GoogleSheetsError(
                f"{name} answered {status}: share the sheet with {who} (view access)"
            )
        if status == 404:
            raise GoogleSheetsError(f"{name} not found: check sheet_id and gid in the config")
        if response.is_redirect:
            raise GoogleSheetsError(
                f"{name} redirected to {response.headers.get('location', '?').split('?')[0]}: "
                "the sheet is not readable with these credentials"
            )
        if status != 200:
            raise GoogleSheetsError(f"{name} answered HTTP {status}")
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith("text/csv"):
            raise GoogleSheetsError(f"{name} answered {content_type or 'no content type'}, not CSV")
        return response.content
