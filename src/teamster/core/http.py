"""One retry policy for every vendor HTTP API we call.

429 and 5xx answers and transport errors are retried with exponential backoff and
jitter (optionally honouring a 429's ``Retry-After``, up to the longest wait); any other answer
is returned for the caller to judge, so refused credentials fail at once. After the
last attempt the last ``RetryableStatus`` or ``httpx.TransportError`` is raised.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
from dagster import Config
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class Retries(Config):
    """How hard a client asks again: attempts in all, then the first and longest wait
    in seconds (tests shrink the waits; vendors' bursts want the defaults). Dagster
    config, so a client resource shows its retry policy with the rest of its config."""

    attempts: int = 6
    first_wait: float = 0.5
    max_wait: float = 30.0


class RetryableStatus(Exception):
    """An answer worth asking again; ``where`` names the request without secrets."""

    def __init__(self, status: int, where: str, retry_after: float | None = None):
        super().__init__(f"HTTP {status} from {where}")
        self.status = status
        self.retry_after = retry_after


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["Retry-After"])
    except (KeyError, ValueError):
        return None


def send_with_retries(
    send: Callable[[], httpx.Response],
    where: str,
    retries: Retries,
    honour_retry_after: bool = False,
) -> httpx.Response:
    """``send()`` until it answers something other than a retryable status."""
    max_wait = retries.max_wait
    backoff = wait_exponential_jitter(initial=retries.first_wait, max=max_wait)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if (
            honour_retry_after
            and isinstance(error, RetryableStatus)
            and error.retry_after is not None
        ):
            return min(max(backoff(state), error.retry_after), max_wait)
        return backoff(state)

    for attempt in Retrying(
        stop=stop_after_attempt(retries.attempts),
        wait=wait,
        retry=retry_if_exception_type((RetryableStatus, httpx.TransportError)),
        reraise=True,
    ):
        with attempt:
            response = send()
            if response.status_code in RETRY_STATUSES:
                raise RetryableStatus(response.status_code, where, _retry_after(response))
            return response
    raise AssertionError("unreachable")
