"""ADP's two sources behind the payroll and workers assets: the payroll SFTP folder
(general-ledger journals, ``ADPFiles``) and Workforce Now's workers API
(``WorkforceNowAPI``).

The workers API (tests/data/vendor_schemas/adp.yaml): a bearer token comes from
``POST <token url>`` with the client id and secret as basic auth and
``grant_type=client_credentials`` over mutual TLS (the settings' certificate and key),
and lasts an hour; ``GET /hr/v2/workers`` answers ``{"workers": [...]}`` pages of at most
100 (``$top``), offset by ``$skip``, and 204 No Content after the last. 429 and 5xx are
retried with backoff; a token refused mid-paging is renewed once. Every failure of the
API is a ``WorkforceNowError`` naming the URL or the file, never a secret. What each
worker becomes is ``schema.py``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyarrow as pa
from dagster import ConfigurableResource
from pydantic import PrivateAttr

from teamster.core.http import Retries, send_with_retries
from teamster.core.settings import ADPSFTPSettings, ADPWorkforceNowSettings
from teamster.core.sftp import SFTPFolder
from teamster.core.ssh import RemoteFile
from teamster.libraries.adp.config import ADPConfig, load_adp_config
from teamster.libraries.adp.schema import (
    WORKERS_SCHEMA,
    ADPFileError,
    GLFile,
    WorkforceNowError,
    check_expected,
    parse_name,
    read_general_ledger,
    worker_rows,
)

WORKERS_PATH = "/hr/v2/workers"
PAGE_SIZE = 100  # the most ADP serves per page


@dataclass(frozen=True)
class Fetched:
    table: pa.Table
    files: list[RemoteFile]  # size and mtime as listed before each download


class _Crosswalked(ConfigurableResource):
    """A resource that translates through kipptaf's ``adp.yaml``: its config holds the
    file's path, and the validated crosswalk (no Dagster config type) is read from it
    when first needed."""

    config_file: str
    _config: ADPConfig | None = PrivateAttr(default=None)

    @property
    def config(self) -> ADPConfig:
        if self._config is None:
            self._config = load_adp_config(Path(self.config_file))
        return self._config


class ADPFiles(_Crosswalked):
    """Reads ADP's payroll SFTP folder (the resource behind the payroll assets and sensor)."""

    settings: ADPSFTPSettings
    attempts: int = 3  # downloads of a file, each from scratch
    first_wait: float = 1.0  # seconds before the first retry

    @property
    def folder(self) -> SFTPFolder:
        s = self.settings
        return SFTPFolder(s.ssh, s.payroll_dir, ADPFileError, self.attempts, self.first_wait)

    def listing(self) -> dict[str, list[GLFile]]:
        """The general-ledger files in the folder, by pay date (ISO), in name order."""
        out: dict[str, list[GLFile]] = {}
        for (day, group), files in self.folder.by_name(parse_name).items():
            out.setdefault(day.isoformat(), []).extend(GLFile(f, day, group) for f in files)
        return dict(sorted(out.items()))

    def general_ledger(self, pay_date: str) -> Fetched:
        """Every general-ledger file of ``pay_date`` (ISO), validated, as one table."""
        files = self.listing().get(pay_date)
        if not files:
            raise ADPFileError(
                f"{self.folder.uri()}: no general-ledger file for pay date {pay_date}"
            )
        groups = [gl.group for gl in files]
        twice = sorted({g for g in groups if groups.count(g) > 1})
        if twice:  # one pay run of a group, two files: loading both would count it twice
            names = [gl.name for gl in files if gl.group in twice]
            raise ADPFileError(
                f"{self.folder.uri()}: pay date {pay_date} has more than one file for "
                f"payroll group(s) {twice}: {names}"
            )
        tables, listed = [], []
        for gl in files:
            table, info = self.folder.fetch(
                gl.file.path,
                lambda local, uri, gl=gl: read_general_ledger(local, gl, uri, self.config),
            )
            tables.append(table)
            listed.append(info)
        return Fetched(pa.concat_tables(tables), listed)


def _secret(path: str, what: str) -> str:
    """One of the OAuth client's files, read at sign-in; an error names the file only."""
    try:
        return Path(path).read_text().strip()
    except (OSError, UnicodeDecodeError) as e:
        raise WorkforceNowError(
            f"ADP {what} file {path} cannot be read ({type(e).__name__})"
        ) from None


class WorkforceNowAPI(_Crosswalked):
    """The workers API behind the ``workers`` asset. The client id and secret are read
    from their files at each sign-in; only the paths are config."""

    settings: ADPWorkforceNowSettings
    retries: Retries = Retries()
    page_size: int = PAGE_SIZE
    _client: httpx.Client | None = PrivateAttr(default=None)

    @contextmanager
    def connect(self) -> Iterator[WorkforceNowAPI]:
        s = self.settings
        cert = (str(s.cert_file), str(s.key_file)) if s.cert_file and s.key_file else None
        with httpx.Client(base_url=s.base_url, timeout=60, cert=cert) as client:
            self._client = client
            try:
                self._authorize()
                yield self
            finally:
                self._client = None

    def _authorize(self) -> None:
        """Fetch a bearer token and use it on every later request."""
        assert self._client is not None
        client = self._client
        s = self.settings
        client_id = _secret(s.client_id_file, "client id")
        client_secret = _secret(s.client_secret_file, "client secret")
        where = f"ADP's token service at {s.token_url}"
        response = send_with_retries(
            lambda: client.post(
                s.token_url,
                auth=(client_id, client_secret),
                data={"grant_type": "client_credentials"},
            ),
            where,
            self.retries,
            error=WorkforceNowError,
        )
        if response.status_code in (400, 401, 403):
            raise WorkforceNowError(
                f"{where} answered {response.status_code}: check the client id "
                f"({s.client_id_file}) and secret ({s.client_secret_file})"
            )
        if response.status_code != 200:
            raise WorkforceNowError(f"{where} answered HTTP {response.status_code}")
        try:
            token = response.json().get("access_token")
        except (ValueError, AttributeError):
            raise WorkforceNowError(f"{where} answered a body that is not a JSON object") from None
        if not isinstance(token, str) or not token:
            raise WorkforceNowError(f"{where} sent no access_token")
        client.headers["Authorization"] = f"Bearer {token}"

    def pages(self) -> Iterator[tuple[int, list[Any]]]:
        """($skip, workers) of every page, until ADP answers 204."""
        if self._client is None:
            raise RuntimeError("use `with api.connect():` first")
        client, skip, renewed = self._client, 0, False
        while True:
            where = f"ADP Workforce Now {self.settings.base_url}{WORKERS_PATH} ($skip={skip})"
            params = {"$top": self.page_size, "$skip": skip}
            response = send_with_retries(
                lambda params=params: client.get(WORKERS_PATH, params=params),
                where,
                self.retries,
                error=WorkforceNowError,
            )
            if response.status_code == 401 and not renewed:
                self._authorize()  # the hour ran out mid-paging
                renewed = True
                continue
            if response.status_code in (401, 403):
                raise WorkforceNowError(f"{where}: ADP refused the token ({response.status_code})")
            if response.status_code == 204:
                return
            if response.status_code != 200:
                raise WorkforceNowError(f"{where} answered HTTP {response.status_code}")
            try:
                workers = response.json()["workers"]
            except (ValueError, KeyError, TypeError):
                raise WorkforceNowError(f"{where}: the answer has no `workers` list") from None
            if not isinstance(workers, list):
                raise WorkforceNowError(f"{where}: `workers` is not a list")
            if not workers:
                return
            yield skip, workers
            skip += len(workers)
            renewed = False

    def workers(self) -> tuple[pa.Table, int]:
        """Every work assignment of every worker as one table, and how many workers."""
        rows: list[dict[str, Any]] = []
        count = 0
        for skip, page in self.pages():
            where = f"{self.settings.base_url}{WORKERS_PATH} ($skip={skip})"
            for worker in page:
                rows += worker_rows(worker, self.config, where)
            count += len(page)
        check_expected(rows, f"{self.settings.base_url}{WORKERS_PATH}")
        return pa.Table.from_pylist(rows, schema=WORKERS_SCHEMA), count
