"""One retry policy for every vendor HTTP API we call.

429 and 5xx answers and transport errors are retried with exponential backoff and
jitter (optionally honouring a 429's ``Retry-After``, up to the longest wait); any other answer
is returned for the caller to judge, so refused credentials fail at once. Each retry is
logged (logger ``teamster.core.http``, with the attempt and the wait as the record's
``retry_attempt`` and ``retry_wait``), so a run's log shows a vendor's burst and tests
can check the waits the policy chose. Given ``error``, every failure (after the last
attempt, or one that is not retried) is raised as that type with a message naming the
request and never quoting an exception's text, which may hold a URL with a key in it;
without it, the last ``RetryableStatus`` or ``httpx.TransportError`` is raised.
"""

from __future__ import annotations

import logging
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

log = logging.getLogger(__name__)


class Retries(Config):
    """How hard a client asks again: attempts in all, then the first and longest wait
    in seconds (tests shrink the waits; vendors' bursts want the defaults). The wait
    after failed attempt n is ``first_wait * 2**(n-1)`` plus up to one ``first_wait`` of
    jitter, at most ``max_wait``. Dagster config, so a client resource shows its retry
    policy with the rest of its config."""

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


def failure(error: Exception, where: str, retries: Retries) -> str:
    """What went wrong with a request, for a library's own error: the status or the
    kind of transport failure, never the exception's text (it may quote the URL)."""
    if isinstance(error, RetryableStatus):
        return f"{where} still answered HTTP {error.status} after {retries.attempts} attempts"
    kind = type(error).__name__
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
        return f"{where}: cannot connect ({kind}) after {retries.attempts} attempts"
    if isinstance(error, httpx.TimeoutException):
        return f"{where}: no answer in time ({kind}) after {retries.attempts} attempts"
    if isinstance(error, httpx.TransportError):
        return f"{where}: the connection failed ({kind}) after {retries.attempts} attempts"
    return f"{where}: the request failed ({kind})"


def send_with_retries(
    send: Callable[[], httpx.Response],
    where: str,
    retries: Retries,
    honour_retry_after: bool = False,
    error: type[Exception] | None = None,
) -> httpx.Response:
    """``send()`` until it answers something other than a retryable status; with
    ``error``, any failure is raised as that type (see the module's docstring)."""
    try:
        return _send(send, where, retries, honour_retry_after)
    except (RetryableStatus, httpx.HTTPError) as e:
        if error is None:
            raise
        raise error(failure(e, where, retries)) from None


def _send(
    send: Callable[[], httpx.Response],
    where: str,
    retries: Retries,
    honour_retry_after: bool,
) -> httpx.Response:
    max_wait = retries.max_wait
    backoff = wait_exponential_jitter(
        initial=retries.first_wait, max=max_wait, jitter=retries.first_wait
    )

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        if (
            honour_retry_after
            and isinstance(error, RetryableStatus)
            and error.retry_after is not None
        ):
            return min(max(backoff(state), error.retry_after), max_wait)
        return backoff(state)

    def logged(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        what = (
            f"HTTP {error.status}" if isinstance(error, RetryableStatus) else type(error).__name__
        )
        seconds = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s: attempt %d of %d failed (%s); asking again in %.3f s",
            where,
            state.attempt_number,
            retries.attempts,
            what,
            seconds,
            extra={"retry_attempt": state.attempt_number, "retry_wait": seconds},
        )

    for attempt in Retrying(
        stop=stop_after_attempt(retries.attempts),
        wait=wait,
        retry=retry_if_exception_type((RetryableStatus, httpx.TransportError)),
        before_sleep=logged,
        reraise=True,
    ):
        with attempt:
            response = send()
            if response.status_code in RETRY_STATUSES:
                raise RetryableStatus(response.status_code, where, _retry_after(response))
            return response
    raise AssertionError("unreachable")
