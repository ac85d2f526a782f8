"""An httpx client for the PowerSchool Enrollment API: API-key auth, paging, retries.

The vendor's basic auth takes the API key as the user name and an empty password; the
key is read from a file when a connection opens and never appears in a message.
``/publishedactions`` answers a plain list. An action's ``/submissionrecords`` come in
pages (``page``, ``pagesize``); each answer is an object holding the paging metadata
(``pageCount``, ``recordCount``) and the page's records. The vendor's documentation does
not name those two members in any source we could read, so a page is read by shape (the
one object member and the one list member), and every page's counts are checked: the
pages must agree, and together hold exactly ``recordCount`` distinct records.

429 and 5xx answers and transport errors are retried with exponential backoff and
jitter; 401 and 403 fail at once with a message that says what to check.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from dagster import ConfigurableResource

from teamster.core.http import Retries, send_with_retries
from teamster.core.settings import EnrollmentAPISettings

ACTIONS_PATH = "/api/v1/publishedactions"
PAGE_SIZE = 1000  # the vendor's default is 50; 1000 is known to be accepted


def records_path(action_id: int) -> str:
    return f"{ACTIONS_PATH}/{action_id}/submissionrecords"


class EnrollmentError(RuntimeError):
    """An Enrollment API call failed or answered something unexpected."""


class EnrollmentAuthError(EnrollmentError):
    """The API refused our key; retrying cannot help."""


@dataclass(frozen=True)
class Page:
    page_count: int
    record_count: int
    records: list[Any]


def _count(metadata: dict[str, Any], name: str, where: str) -> int:
    value = metadata.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise EnrollmentError(f"{where}: paging metadata `{name}` is {value!r}, not a count")
    return value


def read_page(body: Any, where: str) -> Page:
    """One page of submission records: its one object member is the paging metadata, its
    one list member the records."""
    if not isinstance(body, dict):
        raise EnrollmentError(f"{where}: the answer is not a JSON object")
    objects = [v for v in body.values() if isinstance(v, dict)]
    lists = [v for v in body.values() if isinstance(v, list)]
    if len(objects) != 1 or len(lists) != 1:
        raise EnrollmentError(
            f"{where}: expected one metadata object and one list of records, got members "
            + ", ".join(f"{k} ({type(v).__name__})" for k, v in body.items())
        )
    metadata = objects[0]
    return Page(
        _count(metadata, "pageCount", where), _count(metadata, "recordCount", where), lists[0]
    )


class EnrollmentAPI(ConfigurableResource):
    """The resource: its config holds the key file's path; the key is read per
    connection and never becomes config."""

    settings: EnrollmentAPISettings
    retries: Retries = Retries()

    @contextmanager
    def connect(self) -> Iterator[EnrollmentSession]:
        path = Path(self.settings.api_key_file)
        try:
            key = path.read_text().strip()
        except FileNotFoundError:
            raise EnrollmentError(f"Enrollment API key file {path} does not exist") from None
        except (OSError, UnicodeDecodeError) as e:
            raise EnrollmentError(
                f"Enrollment API key file {path} cannot be read ({type(e).__name__})"
            ) from None
        if not key:
            raise EnrollmentError(f"Enrollment API key file {path} is empty")
        with httpx.Client(base_url=self.settings.base_url, timeout=60, auth=(key, "")) as client:
            yield EnrollmentSession(self, client)


class EnrollmentSession:
    def __init__(self, api: EnrollmentAPI, client: httpx.Client):
        self._api = api
        self._client = client

    def get(self, path: str, **params: Any) -> Any:
        """One call, retried through 429/5xx bursts; the decoded body."""
        settings = self._api.settings
        where = f"Enrollment API {path} at {settings.base_url}"
        response = send_with_retries(
            lambda: self._client.get(path, params=params),
            where,
            self._api.retries,
            error=EnrollmentError,
        )
        if response.status_code in (401, 403):
            raise EnrollmentAuthError(
                f"{where} answered {response.status_code}: the API key was refused; check "
                f"the key file {settings.api_key_file}"
            )
        if response.status_code != 200:
            raise EnrollmentError(f"{where} answered {response.status_code}: {_message(response)}")
        try:
            return response.json()
        except ValueError as e:
            raise EnrollmentError(f"{where} answered a body that is not JSON: {e}") from None

    def published_actions(self) -> list[dict[str, Any]]:
        body = self.get(ACTIONS_PATH)
        if not isinstance(body, list) or not all(isinstance(a, dict) for a in body):
            raise EnrollmentError(f"Enrollment API {ACTIONS_PATH}: not a list of actions")
        return body

    def submission_records(self, action_id: int, page_size: int = PAGE_SIZE) -> Iterator[list[Any]]:
        """Every page of one action's records, in order; fails if the pages disagree on
        the counts or do not add up to ``recordCount`` distinct records."""
        path = records_path(action_id)
        seen: set[Any] = set()
        first: Page | None = None
        page = 1
        while first is None or page <= first.page_count:
            where = f"Enrollment API {path}, page {page} (pagesize {page_size})"
            got = read_page(self.get(path, page=page, pagesize=page_size), where)
            if first is None:
                first = got
            elif (got.page_count, got.record_count) != (first.page_count, first.record_count):
                raise EnrollmentError(
                    f"{where}: reports {got.record_count} records in {got.page_count} pages, "
                    f"page 1 reported {first.record_count} in {first.page_count} (the "
                    "records changed while they were read; load again)"
                )
            for record in got.records:
                ident = record.get("id") if isinstance(record, dict) else None
                if isinstance(ident, list | dict):  # cannot be compared; typing refuses it too
                    raise EnrollmentError(f"{where}: record id {ident!r} is not a whole number")
                if ident in seen:
                    raise EnrollmentError(f"{where}: record id {ident!r} came twice")
                seen.add(ident)
            if got.records:
                yield got.records
            page += 1
        if len(seen) != first.record_count:
            raise EnrollmentError(
                f"Enrollment API {path}: `recordCount` says {first.record_count} but "
                f"{len(seen)} records came in {first.page_count} pages"
            )

    def record_count(self, action_id: int) -> int:
        """What the API says one action holds, from a one-record page."""
        where = f"Enrollment API {records_path(action_id)}"
        return read_page(self.get(records_path(action_id), page=1, pagesize=1), where).record_count


def _message(response: httpx.Response) -> str:
    try:
        body = response.json()
        text = str(body.get("message", "")) if isinstance(body, dict) else ""
    except ValueError:
        text = response.text[:200]
    return text or "(no message)"
