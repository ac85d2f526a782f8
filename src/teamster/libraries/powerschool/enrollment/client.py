"""An httpx client for the PowerSchool Enrollment API: basic auth, paging, retries.

429 and 5xx answers and transport errors are retried with exponential backoff and
jitter; 401 and 403 fail at once with a message that says what to check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from teamster.core.http import Retries, send_with_retries
from teamster.core.settings import HTTPAPISettings

PAGE_SIZE = 500


class EnrollmentAuthError(RuntimeError):
    """The API refused our credentials; retrying cannot help."""


class EnrollmentAPI:
    def __init__(self, settings: HTTPAPISettings, retries: Retries = Retries()):
        self.settings = settings
        self.retries = retries
        self._client: httpx.Client | None = None

    @contextmanager
    def connect(self) -> Iterator[EnrollmentAPI]:
        password = self.settings.password_file.read_text().strip()
        with httpx.Client(
            base_url=self.settings.base_url, timeout=60, auth=(self.settings.username, password)
        ) as client:
            self._client = client
            try:
                yield self
            finally:
                self._client = None

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        if self._client is None:
            raise RuntimeError("use `with api.connect():` first")
        client = self._client
        response = send_with_retries(
            lambda: client.get(path, params=params),
            f"{self.settings.base_url}{path}",
            self.retries,
        )
        if response.status_code in (401, 403):
            raise EnrollmentAuthError(
                f"Enrollment API at {self.settings.base_url} answered "
                f"{response.status_code} for user {self.settings.username!r}: check the "
                f"user and the password file {self.settings.password_file}"
            )
        response.raise_for_status()
        return response.json()

    def pages(self, path: str, page_size: int = PAGE_SIZE) -> Iterator[list[dict[str, Any]]]:
        """Every page of a paged endpoint, in order."""
        page = 1
        while True:
            body = self.get(path, page=page, pagesize=page_size)
            if body["data"]:
                yield body["data"]
            if page >= body["pagination"]["pagecount"]:
                return
            page += 1

    def published_actions(self) -> list[dict[str, Any]]:
        return [row for page in self.pages("/api/v1/publishedactions") for row in page]

    def submission_records(self, action_id: int) -> Iterator[list[dict[str, Any]]]:
        return self.pages(f"/api/v1/publishedactions/{action_id}/submissionrecords")

    def record_count(self, action_id: int) -> int:
        body = self.get(
            f"/api/v1/publishedactions/{action_id}/submissionrecords", page=1, pagesize=1
        )
        return int(body["pagination"]["totalcount"])
