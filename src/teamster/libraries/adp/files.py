"""ADP payroll general-ledger files on SFTP: which files they are, and a strict reader.

ADP writes one journal per pay date and payroll group (company code),
``ADP_Payroll_<YYYYMMDD>_<group>.csv`` or ``adp_payroll_...`` (tests/data/vendor_schemas/
adp.yaml): Intacct-style columns (DATE as MM/DD/YYYY, ACCT_NO, LOCATION_ID, DEPT_ID, DEBIT,
CREDIT, FILE_NUMBER, POSITION_ID, JOB_TITLE as a job code) and no company-code column.
Headers are matched by their slug (``teamster.core.csv_reader.header_slug``). Account and
location ids may carry characters other than digits (they are dropped, as the vendor's
consumers do); department, file number and job code are numbers that may be written as
decimals. Every file is downloaded whole and validated before anything lands: a bad
value, a payroll group or site the crosswalk (``config/adp.yaml``) does not know, or a
journal whose debits and credits differ fails the load naming the file, line and column.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from teamster.core.csv_reader import US_DATE, Column, CSVFileError, header_slug, read_csv, schema_of
from teamster.core.settings import ADPSFTPSettings
from teamster.core.ssh import RemoteFile, SSHConnection, fetch_file
from teamster.libraries.adp.config import ADPConfig, UnknownSite

GL_FILE = re.compile(r"(?:ADP|adp)_[Pp]ayroll_(?P<date>[0-9]{8})_(?P<group>\w+)\.csv")

COLUMNS = [
    Column("date", "date", required=True, format=US_DATE),
    Column("journal", "text"),
    Column("description", "text"),
    Column("reference_no", "integer"),
    Column("line_no", "integer", required=True),
    Column("acct_no", "digits_number", required=True),
    Column("location_id", "digits_number", required=True),
    Column("dept_id", "whole_number"),
    Column("document", "text"),
    Column("memo", "text"),
    Column("debit", "money"),
    Column("credit", "money"),
    Column("employee_name", "text"),
    Column("file_number", "whole_number"),
    Column("position_id", "text"),
    Column("job_title", "whole_number"),
]
# added by the reader, not sent by ADP: the file (its name, and the pay date and payroll
# group the name carries) and what the crosswalk makes of the group and the site
DERIVED = {
    "source_file_name": pa.string(),
    "source_file_date": pa.date32(),
    "source_group_code": pa.string(),
    "code_location": pa.string(),
    "school_number": pa.int64(),
}
GENERAL_LEDGER_SCHEMA = schema_of(COLUMNS, DERIVED)


class ADPFileError(CSVFileError):
    """A payroll file is missing, misnamed or does not match what ADP sends."""


@dataclass(frozen=True)
class GLFile:
    """A general-ledger file as listed: its pay date and payroll group from its name."""

    file: RemoteFile
    pay_date: dt.date
    group: str

    @property
    def name(self) -> str:
        return self.file.path.rsplit("/", 1)[-1]


def parse_name(name: str) -> tuple[dt.date, str] | None:
    """(pay date, payroll group) of a general-ledger file name, or None if the name is not
    one; a name that is one but whose date is no date fails."""
    match = GL_FILE.fullmatch(name)
    if match is None:
        return None
    try:
        day = dt.datetime.strptime(match.group("date"), "%Y%m%d").date()
    except ValueError:
        raise ADPFileError(f"{name}: {match.group('date')!r} is not a date YYYYMMDD") from None
    return day, match.group("group")


def read_general_ledger(path: Path, gl: GLFile, display: str, config: ADPConfig) -> pa.Table:
    """Parse one file strictly; ``display`` names it in errors (its SFTP URI)."""
    if gl.group not in config.payroll_groups:
        raise ADPFileError(
            f"{display}: payroll group {gl.group!r} (from the file name) is not in "
            f"{config.source} (`payroll_groups`)"
        )
    parsed = read_csv(path, COLUMNS, display, header_key=header_slug, error=ADPFileError)
    schools = []
    for row, (location, department) in enumerate(
        zip(parsed.values("location_id"), parsed.values("dept_id"), strict=True)
    ):
        try:
            schools.append(
                config.school_number(
                    None if location is None else str(location),
                    None if department is None else str(department),
                )
            )
        except UnknownSite as e:
            raise ADPFileError(f"{parsed.where(row, 'location_id', 'dept_id')}: {e}") from None
    debit = sum(v for v in parsed.values("debit") if v is not None) or decimal.Decimal(0)
    credit = sum(v for v in parsed.values("credit") if v is not None) or decimal.Decimal(0)
    if debit != credit:
        raise ADPFileError(
            f"{display}: debits ({debit}) and credits ({credit}) differ; a journal balances"
        )
    rows = parsed.table.num_rows
    return parsed.landed(
        GENERAL_LEDGER_SCHEMA,
        {
            "source_file_name": [gl.name] * rows,
            "source_file_date": [gl.pay_date] * rows,
            "source_group_code": [gl.group] * rows,
            "code_location": [config.code_location(gl.group)] * rows,
            "school_number": schools,
        },
    )


@dataclass(frozen=True)
class Fetched:
    table: pa.Table
    files: list[RemoteFile]  # size and mtime as listed before each download


class ADPFiles:
    """Reads ADP's payroll SFTP folder (the resource behind the payroll assets and sensor)."""

    def __init__(
        self,
        settings: ADPSFTPSettings,
        config: ADPConfig,
        attempts: int = 3,
        first_wait: float = 1.0,
    ):
        self.settings = settings
        self.config = config
        self.attempts = attempts
        self.first_wait = first_wait

    def display(self, path: str) -> str:
        return f"sftp://{self.settings.ssh.host}:{self.settings.ssh.port}{path}"

    def listing(self) -> dict[str, list[GLFile]]:
        """The general-ledger files in the folder, by pay date (ISO), in name order."""
        with SSHConnection(self.settings.ssh) as ssh:
            listed = ssh.list_files(self.settings.payroll_dir)
        out: dict[str, list[GLFile]] = {}
        for f in listed:
            parsed = parse_name(f.path.rsplit("/", 1)[-1])
            if parsed is not None:
                out.setdefault(parsed[0].isoformat(), []).append(GLFile(f, *parsed))
        return dict(sorted(out.items()))

    def general_ledger(self, pay_date: str) -> Fetched:
        """Every general-ledger file of ``pay_date`` (ISO), validated, as one table."""
        files = self.listing().get(pay_date)
        if not files:
            raise ADPFileError(
                f"{self.display(self.settings.payroll_dir)}: no general-ledger file for "
                f"pay date {pay_date}"
            )
        groups = [gl.group for gl in files]
        twice = sorted({g for g in groups if groups.count(g) > 1})
        if twice:  # one pay run of a group, two files: loading both would count it twice
            names = [gl.file.path.rsplit("/", 1)[-1] for gl in files if gl.group in twice]
            raise ADPFileError(
                f"{self.display(self.settings.payroll_dir)}: pay date {pay_date} has more than "
                f"one file for payroll group(s) {twice}: {names}"
            )
        tables, listed = [], []
        for gl in files:
            table, info = self._fetch(
                gl.file.path,
                lambda local, gl=gl: read_general_ledger(
                    local, gl, self.display(gl.file.path), self.config
                ),
            )
            tables.append(table)
            listed.append(info)
        return Fetched(pa.concat_tables(tables), listed)

    def _fetch(self, path: str, parse: Callable[[Path], pa.Table]) -> tuple[pa.Table, RemoteFile]:
        try:
            return fetch_file(
                self.settings.ssh, path, parse, self.display(path), self.attempts, self.first_wait
            )
        except FileNotFoundError as e:
            raise ADPFileError(str(e)) from None


def files_fingerprint(files: list[RemoteFile]) -> str:
    """What a pay date's load records of its files, and the sensor compares: each file's
    name, mtime and size."""
    return ";".join(
        f"{f.path.rsplit('/', 1)[-1]}:{f.mtime}:{f.size}"
        for f in sorted(files, key=lambda f: f.path)
    )


__all__ = [
    "ADPFileError",
    "ADPFiles",
    "Fetched",
    "GLFile",
    "GENERAL_LEDGER_SCHEMA",
    "files_fingerprint",
    "parse_name",
    "read_general_ledger",
]
