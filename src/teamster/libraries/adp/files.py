"""ADP's SFTP files: general-ledger files per pay date, and the Workforce Now staff roster.

Every file is downloaded whole and validated against its declared schema before it is
returned; a bad file raises ``CSVSchemaError`` naming the file, line and column, so
nothing of it lands. Connections verify the server's host key against known_hosts; a
connection lost mid-transfer is retried a few times, then named in the error
(``teamster.core.ssh.fetch_file``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from teamster.core.settings import ADPSFTPSettings
from teamster.core.ssh import RemoteFile, SSHConnection, fetch_file
from teamster.core.typed_csv import CSVSchemaError, read_typed_csv, schema_of

# gl_YYYYMMDD.csv: one file per pay date; other names in the folder are not ours.
GL_FILE = re.compile(r"gl_(\d{8})\.csv")

GENERAL_LEDGER_SCHEMA = schema_of(
    {
        "pay_date": "date",
        "company_code": "string",
        "file_number": "string",
        "position_id": "string",
        "cost_center": "string",
        "gl_account": "string",
        "description": "string",
        "debit": "decimal(18,2)",
        "credit": "decimal(18,2)",
    }
)
GENERAL_LEDGER_REQUIRED = (
    "pay_date",
    "company_code",
    "position_id",
    "gl_account",
    "debit",
    "credit",
)
WORKERS_SCHEMA = schema_of(
    {
        "position_id": "string",
        "file_number": "string",
        "company_code": "string",
        "first_name": "string",
        "last_name": "string",
        "work_email": "string",
        "home_work_location": "string",
        "job_title": "string",
        "hire_date": "date",
        "position_status": "string",
        "termination_date": "date",  # empty (null) while the worker is active
    }
)
WORKERS_REQUIRED = ("position_id", "company_code", "position_status")


class ADPFileError(RuntimeError):
    """An expected ADP file is not on the server."""


def pay_date_of(name: str) -> dt.date | None:
    """The pay date a general-ledger file is for, or None if the name is not one."""
    match = GL_FILE.fullmatch(name)
    if match is None:
        return None
    try:
        return dt.datetime.strptime(match.group(1), "%Y%m%d").date()
    except ValueError:
        return None


@dataclass(frozen=True)
class Listing:
    """What the server holds: general-ledger files by pay date (ISO) and the roster."""

    general_ledger: dict[str, RemoteFile]
    roster: RemoteFile | None


@dataclass(frozen=True)
class Fetched:
    table: pa.Table
    file: RemoteFile  # size and mtime as listed before the download


class ADPFiles:
    """Reads ADP's SFTP folder (the resource behind the ADP assets and sensor)."""

    def __init__(self, settings: ADPSFTPSettings, attempts: int = 3, first_wait: float = 1.0):
        self.settings = settings
        self.attempts = attempts
        self.first_wait = first_wait

    def display(self, path: str) -> str:
        return f"sftp://{self.settings.ssh.host}:{self.settings.ssh.port}{path}"

    def listing(self) -> Listing:
        with SSHConnection(self.settings.ssh) as ssh:
            return self._listing(ssh)

    def _listing(self, ssh: SSHConnection) -> Listing:
        files = {}
        for f in ssh.list_files(self.settings.payroll_dir):
            pay_date = pay_date_of(f.path.rsplit("/", 1)[-1])
            if pay_date is not None:
                files[pay_date.isoformat()] = f
        roster_dir, _, _ = self.settings.roster_path.rpartition("/")
        roster = next(
            (f for f in ssh.list_files(roster_dir or "/") if f.path == self.settings.roster_path),
            None,
        )
        return Listing(files, roster)

    def general_ledger(self, pay_date: str) -> Fetched:
        """The general-ledger file of ``pay_date`` (ISO), every row of it that pay date."""
        day = dt.date.fromisoformat(pay_date)
        path = f"{self.settings.payroll_dir.rstrip('/')}/gl_{day:%Y%m%d}.csv"
        return self._fetch(
            path,
            lambda local: read_typed_csv(
                local,
                GENERAL_LEDGER_SCHEMA,
                self.display(path),
                required=GENERAL_LEDGER_REQUIRED,
                expect={"pay_date": day},
            ),
        )

    def workers(self) -> Fetched:
        path = self.settings.roster_path
        return self._fetch(
            path,
            lambda local: read_typed_csv(
                local, WORKERS_SCHEMA, self.display(path), required=WORKERS_REQUIRED
            ),
        )

    def _fetch(self, path: str, parse: Callable[[Path], pa.Table]) -> Fetched:
        try:
            table, info = fetch_file(
                self.settings.ssh, path, parse, self.display(path), self.attempts, self.first_wait
            )
        except FileNotFoundError as e:
            raise ADPFileError(str(e)) from None
        return Fetched(table, info)


__all__ = ["ADPFiles", "ADPFileError", "CSVSchemaError", "Fetched", "Listing", "pay_date_of"]
