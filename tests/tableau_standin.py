"""A stand-in for Tableau Server's REST API, served over real HTTP on 127.0.0.1.

Tableau Server cannot run here. The stand-in keeps sessions the way the REST API does:
sign-in checks the personal access token's name and secret and the site and opens a
session; every other call is refused without a live session token, for another site,
and for unknown workbooks or jobs (Tableau's own error codes). "Refresh workbook"
only queues an asynchronous job (202 with the job's id), and the job resource
(``GET /api/<ver>/sites/<site-id>/jobs/<job-id>``, "Query Job") reports its
``progress`` while it runs, then ``completedAt``, ``finishCode`` (0 success, 1 failed,
2 cancelled) and the refresh's ``notes``. Attribute values are strings, as Tableau's
JSON renders its XML attributes.

Switches model the faults: a burst of 429/5xx answers, every refresh failing, a job
that fails, is cancelled or never finishes, a sign-in error echoing the secret, and a
sign-out that fails (an error status, or the connection dropped without an answer).
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = "pat-Secret-7hQ2mZx9vL"  # distinctive: any leak of it is found by substring
TOKEN_NAME = "teamster-refresh"
SITE = "kipptaf"
SITE_ID = "9a8b7c6d-site"
API = "/api/3.22"


@dataclass
class Job:
    id: str
    workbook: str
    polls_to_finish: int  # GETs answered "running" before it completes
    finish_code: int
    notes: str
    polls: int = 0


@dataclass
class StandIn:
    """The stand-in's state: known workbooks, live sessions, jobs, every request."""

    workbooks: set[str]
    sessions: dict[str, str] = field(default_factory=dict)  # session token -> site id
    calls: list[tuple[str, str, str | None, dict]] = field(default_factory=list)
    jobs: dict[str, Job] = field(default_factory=dict)
    # how the next refresh's job ends: polls answered "running" first, then the code
    job_polls_to_finish: int = 1
    job_finish_code: int = 0
    job_notes: str = ""
    burst: list[int] = field(default_factory=list)  # the next refreshes' answers: 429/5xx
    job_burst: list[int] = field(default_factory=list)  # the next job polls' answers
    refresh_status: int | None = None  # answer every refresh with this status
    echo_secret: bool = False  # a sign-in error that quotes what it was sent
    signout_fault: str | None = None  # "drop" (no answer) or an HTTP status, e.g. "500"
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))

    def paths(self, method: str | None = None) -> list[str]:
        return [p for m, p, _, _ in self.calls if method is None or m == method]


def _handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _reply(self, status: int, body: dict | None = None) -> None:
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, status: int, code: str, summary: str, detail: str) -> None:
            self._reply(status, {"error": {"code": code, "summary": summary, "detail": detail}})

        def _session(self, method: str, body: dict) -> str | None:
            """Record the call; the session's site id, or None once refused."""
            auth = self.headers.get("X-Tableau-Auth")
            state.calls.append((method, self.path, auth, body))
            if auth not in state.sessions:
                self._error(401, "401002", "Unauthorized Access", "Invalid credentials")
                return None
            return state.sessions[auth]

        def _burst(self, burst: list[int]) -> bool:
            if burst:
                status = burst.pop(0)
                self._error(status, f"{status}000", "Busy", "try again later")
                return True
            return False

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw) if raw else {}
            if self.path == f"{API}/auth/signin":
                state.calls.append(("POST", self.path, self.headers.get("X-Tableau-Auth"), body))
                return self._signin(body)
            site = self._session("POST", body)
            if site is None:
                return
            if self.path == f"{API}/auth/signout":
                return self._signout()
            prefix = f"{API}/sites/{site}/workbooks/"
            if self.path.startswith(prefix) and self.path.endswith("/refresh"):
                return self._refresh(self.path.removeprefix(prefix).removesuffix("/refresh"))
            self._error(404, "404000", "Resource Not Found", self.path)

        def do_GET(self) -> None:
            site = self._session("GET", {})
            if site is None:
                return
            prefix = f"{API}/sites/{site}/jobs/"
            if not self.path.startswith(prefix):
                return self._error(404, "404000", "Resource Not Found", self.path)
            if self._burst(state.job_burst):
                return
            job = state.jobs.get(self.path.removeprefix(prefix))
            if job is None:
                return self._error(404, "404005", "Resource Not Found", "Job not found")
            job.polls += 1
            answer: dict[str, object] = {
                "id": job.id,
                "mode": "Asynchronous",
                "type": "RefreshExtract",
                "createdAt": "2026-11-02T06:00:00Z",
                "extractRefreshJob": {"workbook": {"id": job.workbook}},
            }
            if job.polls <= job.polls_to_finish:
                answer["progress"] = str(100 * job.polls // (job.polls_to_finish + 1))
            else:
                answer["progress"] = "100"
                answer["completedAt"] = "2026-11-02T06:05:00Z"
                answer["finishCode"] = str(job.finish_code)
                if job.notes:
                    answer["extractRefreshJob"]["notes"] = job.notes  # type: ignore[index]
            self._reply(200, {"job": answer})

        def _signin(self, body: dict) -> None:
            if self.headers.get("Content-Type") != "application/json":
                return self._error(415, "415000", "Unsupported Media Type", "JSON expected")
            credentials = body.get("credentials", {})
            given = (
                credentials.get("personalAccessTokenName"),
                credentials.get("personalAccessTokenSecret"),
                credentials.get("site"),
            )
            if given != (TOKEN_NAME, SECRET, {"contentUrl": SITE}) or state.echo_secret:
                detail = f"Error signing in to Tableau Server with {given[1]}"
                return self._error(401, "401001", "Signin Error", detail)
            token = f"session-{next(state.counter)}-Xk4v"
            state.sessions[token] = SITE_ID
            self._reply(
                200,
                {
                    "credentials": {
                        "site": {"id": SITE_ID, "contentUrl": SITE},
                        "user": {"id": "user-1"},
                        "token": token,
                    }
                },
            )

        def _signout(self) -> None:
            if state.signout_fault == "drop":
                self.close_connection = True  # no answer at all: the client sees EOF
                return
            if state.signout_fault is not None:
                status = int(state.signout_fault)
                return self._error(status, f"{status}000", "Internal Error", "sign-out failed")
            del state.sessions[self.headers["X-Tableau-Auth"]]
            self._reply(204)

        def _refresh(self, workbook: str) -> None:
            if state.refresh_status is not None:
                return self._error(state.refresh_status, "500000", "Internal Error", "busy")
            if self._burst(state.burst):
                return
            if workbook not in state.workbooks:
                detail = f"Workbook '{workbook}' could not be found."
                return self._error(404, "404031", "Resource Not Found", detail)
            job = Job(
                id=f"job-{next(state.counter)}",
                workbook=workbook,
                polls_to_finish=state.job_polls_to_finish,
                finish_code=state.job_finish_code,
                notes=state.job_notes,
            )
            state.jobs[job.id] = job
            self._reply(
                202, {"job": {"id": job.id, "mode": "Asynchronous", "type": "RefreshExtract"}}
            )

    return Handler


@contextmanager
def serve(state: StandIn) -> Iterator[str]:
    """Serve ``state`` on 127.0.0.1; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
