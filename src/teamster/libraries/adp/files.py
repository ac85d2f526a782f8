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
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from teamster.core.csv_reader import US_DATE, Column, CSVFileError, header_slug, read_csv, schema_of
from teamster.core.settings import ADPSFTPSettings
from teamster.core.sftp import SFTPFolder
from teamster.core.ssh import RemoteFile
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
        self.config = config
        self.folder = SFTPFolder(
            settings.ssh, settings.payroll_dir, ADPFileError, attempts, first_wait
        )

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
