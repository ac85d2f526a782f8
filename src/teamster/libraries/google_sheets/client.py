"""An httpx client for Google Sheets' CSV export (``/spreadsheets/d/<id>/export``).

429 and 5xx answers and transport failures are retried with exponential backoff and
jitter; anything else (refused credentials, an unknown sheet, a sign-in redirect, an
answer that is not CSV) fails at once with a message naming the sheet. In prod the
request carries a service account's access token; the sandbox needs none.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from teamster.core.http import Retries, RetryableStatus, send_with_retries
from teamster.core.settings import GoogleSheetsSettings

SCOPE = "https://www.googleapis.com/auth/drive.readonly"


class GoogleSheetsError(RuntimeError):
    """A sheet could not be read; the message names it and says what to check."""


def _access_token(credentials_file: Path) -> str:
    """A short-lived token for a service account's key file (google-auth, prod extra)."""
    try:
        from google.auth.transport.requests import Request
        from google.oauth2 import service_account
    except ImportError:
        raise GoogleSheetsError(
            "a Google Sheets credentials file needs google-auth: install teamster[prod]"
        ) from None
    if not credentials_file.exists():
        raise GoogleSheetsError(f"Google credentials file {credentials_file} does not exist")
    credentials = service_account.Credentials.from_service_account_file(
        str(credentials_file), scopes=[SCOPE]
    )
    credentials.refresh(Request())
    return credentials.token


class GoogleSheets:
    """The resource behind the sheet assets: ``with sheets.connect() as s: s.export_csv(...)``."""

    def __init__(self, settings: GoogleSheetsSettings, retries: Retries = Retries()):
        self.settings = settings
        self.retries = retries
        self._client: httpx.Client | None = None

    @contextmanager
    def connect(self) -> Iterator[GoogleSheets]:
        headers = {}
        if self.settings.credentials_file is not None:
            headers["Authorization"] = f"Bearer {_access_token(self.settings.credentials_file)}"
        with httpx.Client(
            base_url=self.settings.base_url, timeout=60, headers=headers, follow_redirects=False
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
        name = f"Google Sheet {sheet_id!r} (gid {gid})"
        try:
            response = send_with_retries(
                lambda: client.get(
                    f"/spreadsheets/d/{sheet_id}/export", params={"format": "csv", "gid": gid}
                ),
                name,
                self.retries,
            )
        except RetryableStatus as e:
            raise GoogleSheetsError(
                f"{name} at {self.settings.base_url} still answered HTTP {e.status} after "
                f"{self.retries.attempts} attempts"
            ) from None
        except httpx.TransportError as e:
            raise GoogleSheetsError(
                f"{name}: cannot reach {self.settings.base_url} after "
                f"{self.retries.attempts} attempts: {type(e).__name__}"
            ) from None
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
