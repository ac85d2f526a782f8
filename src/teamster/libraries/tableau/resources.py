"""Refreshing a workbook's extracts: Tableau Server's REST API in prod, a folder locally.

Both implement ``refresh(workbook, models)``. Tableau Server cannot run on a laptop,
so ``local`` does what an extract refresh does with the data: it reads each model the
workbook uses from the warehouse and publishes it as a Parquet extract under
``<data-dir>/tableau/<workbook id>/``, replacing the previous one atomically.

On Tableau Server "refresh workbook" only queues an asynchronous job, so the client
polls the job ("Query Job") until Tableau reports it completed and only then reports
success; a job that failed, was cancelled or outlived the wait fails the refresh.
"""

import os
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
from dagster import Config, ConfigurableResource, get_dagster_logger
from pydantic import model_validator

from teamster.core.http import Retries, RetryableStatus, send_with_retries
from teamster.core.naming import check_luid
from teamster.core.private import private_dir
from teamster.core.settings import LocalTableauSettings, Settings, TableauServerSettings
from teamster.core.warehouse import Warehouse, warehouse_for


class JobPolls(Config):
    """How long to wait for an extract refresh job: the waits between polls double from
    ``first_wait`` up to ``max_wait`` seconds and stop once they add up to ``timeout``."""

    first_wait: float = 5.0
    max_wait: float = 60.0
    timeout: float = 3600.0

    @model_validator(mode="after")
    def _positive(self) -> "JobPolls":
        # a zero wait would never add up to the timeout
        for name in ("first_wait", "max_wait", "timeout"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be a positive number of seconds")
        return self

    def waits(self) -> list[float]:
        """The sleeps between polls, in order; they add up to ``timeout``."""
        waits: list[float] = []
        wait, left = self.first_wait, self.timeout
        while left > 1e-9:  # not a float's leftover crumb
            step = min(wait, self.max_wait, left)
            waits.append(step)
            left -= step
            wait *= 2
        return waits


class TableauError(RuntimeError):
    """Tableau refused or failed a request; the message never holds the token."""


class Tableau(ConfigurableResource):
    """What the workbook assets refresh through; one base class, so their parameter is
    typed once for both environments."""

    def refresh(
        self, workbook_id: str, relations: list[tuple[str, str]], name: str | None = None
    ) -> dict[str, object]:
        """Do an extract refresh and see it through; returns metadata about it.
        ``name`` (the workbook's, from config) only labels errors."""
        raise NotImplementedError


class LocalTableau(Tableau):
    """Publishes extracts under ``settings.root``, reading the models from the
    warehouse it is given (a plain resource, so a dependency rather than config)."""

    settings: LocalTableauSettings
    warehouse: Warehouse

    @property
    def root(self) -> Path:
        return Path(self.settings.root)

    def refresh(
        self, workbook_id: str, relations: list[tuple[str, str]], name: str | None = None
    ) -> dict[str, object]:
        # the id names a folder: only a LUID, never a path, gets that far
        folder = self.root / check_luid(workbook_id, _label(workbook_id, name))
        private_dir(folder)  # the extracts hold student rows; each is written 0600 (mkstemp)
        rows = {}
        for dataset, table in relations:
            data = self.warehouse.read(dataset, table)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{table}.", suffix=".part")
            os.close(fd)
            try:
                pq.write_table(data, tmp)
                os.replace(tmp, folder / f"{table}.parquet")
            finally:
                Path(tmp).unlink(missing_ok=True)
            rows[table] = data.num_rows
        return {"extract_rows": rows, "extract_dir": str(folder)}


class TableauServer(Tableau):
    """Tableau Server / Cloud REST API, signed in with a personal access token.

    Errors name the request, its status and Tableau's own error code and summary, with
    the token's secret and the session token cut out of anything Tableau echoes back.
    The config names the token's file; the token is read at each refresh.
    """

    settings: TableauServerSettings
    retries: Retries = Retries(attempts=5, first_wait=1.0, max_wait=30.0)
    job_polls: JobPolls = JobPolls()

    def _send(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        secrets: list[str],
        **kwargs: Any,
    ) -> httpx.Response:
        try:
            response = send_with_retries(
                lambda: client.request(method, path, **kwargs),
                f"Tableau {path}",
                self.retries,
            )
        except RetryableStatus as e:
            raise TableauError(
                f"Tableau {method} {path} still answered HTTP {e.status} after "
                f"{self.retries.attempts} attempts"
            ) from None
        except httpx.TransportError as e:
            raise TableauError(
                f"cannot reach Tableau at {self.settings.base_url} ({method} {path}): "
                f"{type(e).__name__}"
            ) from None
        status = response.status_code
        if status in (401, 403):
            raise TableauError(
                f"Tableau refused {method} {path} (HTTP {status}{_reason(response, secrets)}): "
                "check the personal access token named by TEAMSTER_TABLEAU_TOKEN_NAME"
            )
        if status >= 400:
            raise TableauError(
                f"Tableau {method} {path} failed with HTTP {status}{_reason(response, secrets)}"
            )
        return response

    def refresh(
        self, workbook_id: str, relations: list[tuple[str, str]], name: str | None = None
    ) -> dict[str, object]:
        s = self.settings
        api = f"/api/{s.api_version}"
        what = _label(workbook_id, name)
        check_luid(workbook_id, what)  # it goes into the URL's path
        try:
            secret = Path(s.token_file).read_text().strip()
        except FileNotFoundError:
            raise TableauError(f"Tableau token file {s.token_file} does not exist") from None
        secrets = [secret]
        with httpx.Client(base_url=s.base_url, timeout=60) as client:
            signin = self._send(
                client,
                "POST",
                f"{api}/auth/signin",
                secrets,
                json={
                    "credentials": {
                        "personalAccessTokenName": s.token_name,
                        "personalAccessTokenSecret": secret,
                        "site": {"contentUrl": s.site},
                    }
                },
                headers={"Accept": "application/json"},
            ).json()["credentials"]
            secrets.append(signin["token"])
            headers = {"X-Tableau-Auth": signin["token"], "Accept": "application/json"}
            site = f"{api}/sites/{signin['site']['id']}"
            try:
                result = self._refresh_and_wait(client, site, workbook_id, what, headers, secrets)
            except BaseException as error:
                # the refresh's error is the one raised; a failed sign-out only rides along
                if failed := self._sign_out(client, api, headers, secrets):
                    get_dagster_logger().warning(failed)
                    error.add_note(failed)
                raise
            if failed := self._sign_out(client, api, headers, secrets):
                get_dagster_logger().warning(failed)
                result["tableau_signout"] = failed
        return result

    def _refresh_and_wait(
        self,
        client: httpx.Client,
        site: str,
        workbook_id: str,
        what: str,
        headers: dict[str, str],
        secrets: list[str],
    ) -> dict[str, object]:
        """Queue the refresh, then poll its job until Tableau says it completed."""
        job_id = self._send(
            client,
            "POST",
            f"{site}/workbooks/{workbook_id}/refresh",
            secrets,
            json={},
            headers=headers,
        ).json()["job"]["id"]
        polls = 0
        job: dict[str, Any] = {}
        for wait in [0.0, *self.job_polls.waits()]:
            time.sleep(wait)
            answer = self._send(client, "GET", f"{site}/jobs/{job_id}", secrets, headers=headers)
            job = answer.json()["job"]
            polls += 1
            # Tableau sets completedAt once the job has ended; finishCode then says how
            if job.get("completedAt"):
                break
        else:
            raise TableauError(
                f"Tableau refresh of {what}: job {job_id} still running after waiting "
                f"{self.job_polls.timeout:g} s ({polls} polls, progress "
                f"{job.get('progress', '?')}%); it may yet finish on the server"
            )
        code = str(job.get("finishCode"))
        if code != "0":
            outcome = {"1": "failed", "2": "was cancelled"}.get(code, "ended without success")
            notes = _scrub(_job_notes(job), secrets)
            raise TableauError(
                f"Tableau refresh of {what}: job {job_id} {outcome} (finishCode {code})"
                + (f": {notes[:1000]}" if notes else "")
            )
        return {"tableau_job_id": job_id, "tableau_job_finish_code": 0, "tableau_job_polls": polls}

    def _sign_out(
        self, client: httpx.Client, api: str, headers: dict[str, str], secrets: list[str]
    ) -> str | None:
        """End the session, once, never raising: what went wrong, or None. A session
        left open expires on its own; it must not hide the refresh's outcome."""
        try:
            response = client.post(f"{api}/auth/signout", headers=headers)
        except httpx.HTTPError as e:  # its type only: a message could quote the request
            return (
                f"sign-out from Tableau failed: {type(e).__name__} from "
                f"{self.settings.base_url}; the session expires on its own"
            )
        if response.status_code >= 400:
            return (
                f"sign-out from Tableau failed with HTTP {response.status_code}"
                f"{_reason(response, secrets)}; the session expires on its own"
            )
        return None


def _label(workbook_id: str, name: str | None) -> str:
    return f"workbook {name!r} ({workbook_id})" if name else f"workbook {workbook_id}"


def _job_notes(job: dict[str, Any]) -> str:
    """What Tableau says about a job's outcome: the refresh's ``notes`` and any
    ``statusNotes``, whichever it sent."""
    found: list[str] = []
    refresh = job.get("extractRefreshJob")
    if isinstance(refresh, dict) and refresh.get("notes"):
        found.append(str(refresh["notes"]))
    if isinstance(job.get("notes"), str):
        found.append(job["notes"])
    status = job.get("statusNotes")
    listed = status.get("statusNote", []) if isinstance(status, dict) else []
    for note in [listed] if isinstance(listed, dict) else listed:
        if isinstance(note, dict):
            found.append(" ".join(str(note[k]) for k in ("type", "value", "text") if note.get(k)))
    return "; ".join(n for n in found if n)


def _scrub(words: str, secrets: list[str]) -> str:
    for secret in secrets:
        if secret:
            words = words.replace(secret, "***")
    return words


def _reason(response: httpx.Response, secrets: list[str]) -> str:
    """Tableau's error code, summary and detail (``{"error": {...}}``), if it sent them."""
    try:
        error = response.json()["error"]
        words = " ".join(str(error[k]) for k in ("code", "summary", "detail") if error.get(k))
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""
    words = _scrub(words, secrets)
    return f", {words[:300]}" if words else ""


def tableau_resource(settings: Settings) -> Tableau:
    if isinstance(settings.tableau, LocalTableauSettings):
        return LocalTableau(settings=settings.tableau, warehouse=warehouse_for(settings.warehouse))
    return TableauServer(settings=settings.tableau)
