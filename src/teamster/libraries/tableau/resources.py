"""Refreshing a workbook's extracts: Tableau Server's REST API in prod, a folder locally.

Both implement ``refresh(workbook, models)``. Tableau Server cannot run on a laptop,
so ``local`` does what an extract refresh does with the data: it reads each model the
workbook uses from the warehouse and publishes it as a Parquet extract under
``<data-dir>/tableau/<workbook id>/``, replacing the previous one atomically.
"""

import os
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
from dagster import ConfigurableResource

from teamster.core.http import Retries, RetryableStatus, send_with_retries
from teamster.core.settings import LocalTableauSettings, Settings, TableauServerSettings
from teamster.core.warehouse import Warehouse, warehouse_for


class TableauError(RuntimeError):
    """Tableau refused or failed a request; the message never holds the token."""


class Tableau(ConfigurableResource):
    """What the workbook assets refresh through; one base class, so their parameter is
    typed once for both environments."""

    def refresh(self, workbook_id: str, relations: list[tuple[str, str]]) -> dict[str, object]:
        """Start or do an extract refresh; returns metadata about it."""
        raise NotImplementedError


class LocalTableau(Tableau):
    """Publishes extracts under ``settings.root``, reading the models from the
    warehouse it is given (a plain resource, so a dependency rather than config)."""

    settings: LocalTableauSettings
    warehouse: Warehouse

    @property
    def root(self) -> Path:
        return Path(self.settings.root)

    def refresh(self, workbook_id: str, relations: list[tuple[str, str]]) -> dict[str, object]:
        folder = self.root / workbook_id
        folder.mkdir(parents=True, exist_ok=True)
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

    def refresh(self, workbook_id: str, relations: list[tuple[str, str]]) -> dict[str, object]:
        s = self.settings
        api = f"/api/{s.api_version}"
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
            site_id = signin["site"]["id"]
            try:
                job = self._send(
                    client,
                    "POST",
                    f"{api}/sites/{site_id}/workbooks/{workbook_id}/refresh",
                    secrets,
                    json={},
                    headers=headers,
                ).json()["job"]
            finally:
                client.post(f"{api}/auth/signout", headers=headers)
        return {"tableau_job_id": job["id"]}


def _reason(response: httpx.Response, secrets: list[str]) -> str:
    """Tableau's error code, summary and detail (``{"error": {...}}``), if it sent them."""
    try:
        error = response.json()["error"]
        words = " ".join(str(error[k]) for k in ("code", "summary", "detail") if error.get(k))
    except (ValueError, KeyError, TypeError, AttributeError):
        return ""
    for secret in secrets:
        if secret:
            words = words.replace(secret, "***")
    return f", {words[:300]}" if words else ""


def tableau_resource(settings: Settings) -> Tableau:
    if isinstance(settings.tableau, LocalTableauSettings):
        return LocalTableau(settings=settings.tableau, warehouse=warehouse_for(settings.warehouse))
    return TableauServer(settings=settings.tableau)
