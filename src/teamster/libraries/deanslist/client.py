"""An httpx client for the DeansList API: one key per school, retries, no leaked keys.

DeansList authenticates with an ``apikey`` query parameter, so every request URL holds
a secret. Nothing this module raises or logs contains a key: errors name the school
and the endpoint path only, httpx's own exceptions are replaced by ours, and a filter
on the ``httpx`` logger blanks keys out of its request log lines.

429 and 5xx answers and transport errors are retried with exponential backoff and
jitter (a 429's ``Retry-After`` is honoured up to the longest wait); 401 and 403 fail
at once with a message that says which school's key to check.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from teamster.core.http import Retries, RetryableStatus, send_with_retries
from teamster.core.settings import DeansListSettings

ENDPOINTS = {"incidents": "/api/v1/incidents", "behavior": "/api/v1/behavior"}

_APIKEY_IN_TEXT = re.compile(r"(apikey=)[^&\s\"']+", re.IGNORECASE)


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
    """The keys file: a JSON object of school number -> API key. Errors never quote it."""
    path = settings.keys_file
    try:
        keys = json.loads(path.read_text())
    except FileNotFoundError:
        raise DeansListError(f"DeansList keys file {path} does not exist") from None
    except json.JSONDecodeError as e:
        raise DeansListError(
            f"DeansList keys file {path}, line {e.lineno}, column {e.colno}: not valid JSON"
        ) from None
    if not isinstance(keys, dict) or not all(isinstance(v, str) and v for v in keys.values()):
        raise DeansListError(
            f"DeansList keys file {path} must be a JSON object of school number -> key"
        )
    return {str(school): key for school, key in keys.items()}


class DeansListAPI:
    """The resource: reads the keys file when a connection opens, never before."""

    def __init__(self, settings: DeansListSettings, retries: Retries = Retries()):
        self.settings = settings
        self.retries = retries

    @contextmanager
    def connect(self, schools: list[int]) -> Iterator[DeansListSession]:
        """A session for ``schools``; fails at once if one of them has no key."""
        keys = read_keys(self.settings)
        missing = [s for s in schools if str(s) not in keys]
        if missing:
            raise DeansListError(
                f"DeansList keys file {self.settings.keys_file} has no key for school(s) "
                + ", ".join(str(s) for s in missing)
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

    def get(self, endpoint: str, school: int, **params: Any) -> dict[str, Any]:
        """One endpoint for one school, retried through 429/5xx bursts."""
        path = ENDPOINTS[endpoint]
        where = f"DeansList {path} for school {school}"
        key = self._keys[school]
        api = self._api
        try:
            response = send_with_retries(
                lambda: self._client.get(path, params={"apikey": key, **params}),
                where,
                api.retries,
                honour_retry_after=True,
            )
            status = response.status_code
            if status in (401, 403):
                raise DeansListAuthError(
                    f"{where} answered {status}: the school's key was refused; check "
                    f"the entry for {school} in {api.settings.keys_file}"
                )
            if status != 200:
                raise DeansListError(f"{where} answered {status}: {_error_text(response, key)}")
            return response.json()
        except RetryableStatus as e:
            raise DeansListError(
                f"{where} still answered HTTP {e.status} after "
                f"{self._api.retries.attempts} attempts"
            ) from None
        except httpx.HTTPError as e:  # its text may hold the URL, and so the key
            message = redact(str(e)).replace(key, "***")
            raise DeansListError(f"{where}: {type(e).__name__}: {message}") from None
        except ValueError as e:  # a body that is not JSON
            raise DeansListError(f"{where} answered a body that is not JSON: {e}") from None

    def rows(self, endpoint: str, school: int) -> list[dict[str, Any]]:
        """Every row of ``endpoint`` for ``school``; the count must match ``rowcount``."""
        body = self.get(endpoint, school)
        data = body.get("data") if isinstance(body, dict) else None
        if not isinstance(data, list):
            raise DeansListError(
                f"DeansList {ENDPOINTS[endpoint]} for school {school}: no `data` list in answer"
            )
        expected = body.get("rowcount")
        if isinstance(expected, int) and expected != len(data):
            raise DeansListError(
                f"DeansList {ENDPOINTS[endpoint]} for school {school}: rowcount says "
                f"{expected} but {len(data)} rows came"
            )
        return data


def _error_text(response: httpx.Response, key: str) -> str:
    try:
        text = str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        text = response.text[:200]
    return redact(text).replace(key, "***") or "(no message)"
