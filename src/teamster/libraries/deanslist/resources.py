"""An httpx client for the DeansList API: one key per school, windows, pages, retries.

DeansList authenticates with an ``apikey`` query parameter, so every request URL holds
a secret. Nothing this module raises or logs contains a key: errors name the school,
the endpoint path and the host only, httpx's own exceptions are replaced by ours
(never quoting their text), and a filter
on the ``httpx`` logger blanks keys out of its request log lines.

Reads go by date window: ``StartDate``/``EndDate`` bound the day a row is about and
``UpdatedSince`` the day it last changed. Incidents come whole per window, the deleted
ones apart (``IncludeDeleted=Y`` -> ``deleted_data``); behaviour comes in pages
(``page``/``page_size``, answered with ``total_count``/``total_pages``). Every answer's
own counts are checked against the rows that came, so a short or inconsistent read
fails instead of landing part of a window.

429 and 5xx answers and transport errors are retried with exponential backoff and
jitter (a 429's ``Retry-After`` is honoured up to the longest wait); 401 and 403 fail
at once with a message that says which school's key to check.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from dagster import ConfigurableResource

from teamster.core.http import Retries, send_with_retries
from teamster.core.settings import DeansListSettings

ENDPOINTS = {"incidents": "/api/v1/incidents", "behavior": "/api/v1/behavior"}

_APIKEY_IN_TEXT = re.compile(r"(apikey=)[^&\s\"']+", re.IGNORECASE)
_COUNT = re.compile(r"[0-9]+")


def redact(text: str) -> str:
    """``text`` with the value of every ``apikey=`` parameter blanked out."""
    return _APIKEY_IN_TEXT.sub(r"\1***", text)


class _RedactKeys(logging.Filter):
    """httpx logs each request's full URL at INFO; keep the keys out of any log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "apikey=" in message.lower():
            record.msg, record.args = redact(message), None
        return True


_httpx_logger = logging.getLogger("httpx")
if not any(isinstance(f, _RedactKeys) for f in _httpx_logger.filters):
    _httpx_logger.addFilter(_RedactKeys())


class DeansListError(RuntimeError):
    """A DeansList call failed; the message names school and endpoint, never the key."""


class DeansListAuthError(DeansListError):
    """DeansList refused a school's key; retrying cannot help."""


def read_keys(settings: DeansListSettings) -> dict[str, str]:
    """The keys file: a JSON object of DeansList school id -> API key. Errors never
    quote it."""
    path = Path(settings.keys_file)
    try:
        keys = json.loads(path.read_text())
    except FileNotFoundError:
        raise DeansListError(f"DeansList keys file {path} does not exist") from None
    except json.JSONDecodeError as e:
        raise DeansListError(
            f"DeansList keys file {path}, line {e.lineno}, column {e.colno}: not valid JSON"
        ) from None
    except (OSError, UnicodeDecodeError) as e:
        raise DeansListError(
            f"DeansList keys file {path} cannot be read ({type(e).__name__})"
        ) from None
    if not isinstance(keys, dict) or not all(isinstance(v, str) and v for v in keys.values()):
        raise DeansListError(
            f"DeansList keys file {path} must be a JSON object of DeansList school id -> key"
        )
    return {str(school): key for school, key in keys.items()}


@dataclass(frozen=True)
class Window:
    """The days a read asks for, both ends included."""

    start: dt.date
    end: dt.date

    def params(self) -> dict[str, str]:
        # UpdatedSince is the window's first day: a row about a day in the window was
        # entered, and so last changed, on or after it
        return {
            "StartDate": self.start.isoformat(),
            "EndDate": self.end.isoformat(),
            "UpdatedSince": self.start.isoformat(),
        }

    def __str__(self) -> str:
        return f"{self.start}..{self.end}"


@dataclass(frozen=True)
class Incidents:
    """One window of one school's incidents: the live ones and the deleted ones."""

    live: list[Any]
    deleted: list[Any]


def _count(body: dict[str, Any], name: str, where: str) -> int:
    """A count from an answer (DeansList may write numbers as text)."""
    value = body.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str) and _COUNT.fullmatch(value):
        return int(value)
    raise DeansListError(f"{where}: `{name}` is {value!r}, not a count")


def _rows(body: dict[str, Any], name: str, where: str) -> list[Any]:
    value = body.get(name)
    if not isinstance(value, list):
        raise DeansListError(f"{where}: no `{name}` list in the answer")
    return value


def read_incidents(body: Any, where: str) -> Incidents:
    """An incidents answer asked with ``IncludeDeleted=Y``: both lists, each matching its
    count."""
    if not isinstance(body, dict):
        raise DeansListError(f"{where}: the answer is not a JSON object")
    live, deleted = _rows(body, "data", where), _rows(body, "deleted_data", where)
    for rows, name in ((live, "rowcount"), (deleted, "deleted_rowcount")):
        expected = _count(body, name, where)
        if expected != len(rows):
            raise DeansListError(f"{where}: `{name}` says {expected} but {len(rows)} rows came")
    return Incidents(live, deleted)


@dataclass(frozen=True)
class Page:
    total_count: int
    total_pages: int
    rows: list[Any]


def read_page(body: Any, where: str) -> Page:
    """One page of a paged answer, with the totals it reports."""
    if not isinstance(body, dict):
        raise DeansListError(f"{where}: the answer is not a JSON object")
    return Page(
        _count(body, "total_count", where),
        _count(body, "total_pages", where),
        _rows(body, "data", where),
    )


class DeansListAPI(ConfigurableResource):
    """The resource: reads the keys file when a connection opens, never before, so its
    config (shown in Dagster's UI) holds the file's path and never a key."""

    settings: DeansListSettings
    retries: Retries = Retries()

    @contextmanager
    def connect(self, schools: list[int]) -> Iterator[DeansListSession]:
        """A session for ``schools`` (DeansList ids); fails at once if one has no key."""
        keys = read_keys(self.settings)
        missing = [s for s in schools if str(s) not in keys]
        if missing:
            raise DeansListError(
                f"DeansList keys file {self.settings.keys_file} has no key for DeansList "
                "school(s) " + ", ".join(str(s) for s in missing)
            )
        chosen = {s: keys[str(s)] for s in schools}
        shared = [s for s in schools if list(chosen.values()).count(chosen[s]) > 1]
        if shared:
            raise DeansListError(
                f"DeansList keys file {self.settings.keys_file}: schools "
                + ", ".join(str(s) for s in shared)
                + " share one key, so their rows would be loaded twice"
            )
        with httpx.Client(base_url=self.settings.base_url, timeout=60) as client:
            yield DeansListSession(self, client, chosen)


class DeansListSession:
    def __init__(self, api: DeansListAPI, client: httpx.Client, keys: dict[int, str]):
        self._api = api
        self._client = client
        self._keys = keys

    def get(self, endpoint: str, school: int, params: dict[str, Any]) -> Any:
        """One call for one school, retried through 429/5xx bursts; the decoded body."""
        path = ENDPOINTS[endpoint]
        api = self._api
        where = f"DeansList {path} for school {school} at {api.settings.base_url}"
        key = self._keys[school]
        # the failure's message never quotes httpx's text, which may hold the URL and key
        response = send_with_retries(
            lambda: self._client.get(path, params={"apikey": key, **params}),
            where,
            api.retries,
            honour_retry_after=True,
            error=DeansListError,
        )
        status = response.status_code
        if status in (401, 403):
            raise DeansListAuthError(
                f"{where} answered {status}: the school's key was refused; check "
                f"the entry for {school} in {api.settings.keys_file}"
            )
        if status != 200:
            raise DeansListError(f"{where} answered {status}: {_error_text(response, key)}")
        try:
            return response.json()
        except ValueError as e:  # a body that is not JSON
            raise DeansListError(f"{where} answered a body that is not JSON: {e}") from None

    def incidents(self, school: int, window: Window) -> Incidents:
        """Every incident of ``school`` about a day in ``window``, deleted ones apart."""
        body = self.get("incidents", school, {**window.params(), "IncludeDeleted": "Y"})
        return read_incidents(
            body, f"DeansList {ENDPOINTS['incidents']} for school {school}, {window}"
        )

    def behavior(self, school: int, window: Window, page_size: int) -> list[Any]:
        """Every behaviour entry of ``school`` dated in ``window``, page by page; the pages
        must agree on the totals and together hold exactly ``total_count`` rows."""
        where = f"DeansList {ENDPOINTS['behavior']} for school {school}, {window}"
        rows: list[Any] = []
        first: Page | None = None
        page = 1
        while first is None or page <= first.total_pages:
            params = {**window.params(), "page": page, "page_size": page_size}
            got = read_page(self.get("behavior", school, params), f"{where}, page {page}")
            if first is None:
                first = got
            elif (got.total_count, got.total_pages) != (first.total_count, first.total_pages):
                raise DeansListError(
                    f"{where}: page {page} reports {got.total_count} rows in "
                    f"{got.total_pages} pages, page 1 reported {first.total_count} in "
                    f"{first.total_pages} (the data changed while it was read)"
                )
            if not got.rows and page <= first.total_pages:
                raise DeansListError(f"{where}: page {page} of {first.total_pages} came back empty")
            rows.extend(got.rows)
            page += 1
        if len(rows) != first.total_count:
            raise DeansListError(
                f"{where}: `total_count` says {first.total_count} but {len(rows)} rows came "
                f"in {first.total_pages} pages"
            )
        return rows


def _error_text(response: httpx.Response, key: str) -> str:
    try:
        text = str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        text = response.text[:200]
    return redact(text).replace(key, "***") or "(no message)"
