"""What ADP sends: payroll general-ledger files on SFTP (which files they are, and a
strict reader), and Workforce Now's worker objects (one typed row per work assignment).

ADP writes one journal per pay date and payroll group (company code),
``ADP_Payroll_<YYYYMMDD>_<group>.csv`` or ``adp_payroll_...`` (tests/data/vendor_schemas/
adp.yaml): Intacct-style columns (DATE as MM/DD/YYYY, ACCT_NO, LOCATION_ID, DEPT_ID, DEBIT,
CREDIT, FILE_NUMBER, POSITION_ID, JOB_TITLE as a job code) and no company-code column.
Headers are matched by their slug (``teamster.core.csv_reader.header_slug``). Account and
location ids may carry characters other than digits (they are dropped, as the vendor's
consumers do); department, file number and job code are numbers that may be written as
decimals. Every file is downloaded whole and validated before anything lands: a bad
value, a payroll group or site the crosswalk (``config/adp.yaml``) does not know, a
``LINE_NO`` found twice, a journal with no lines, or one whose debits and credits differ
fails the load naming the file, line and column.

Each landed workers column is declared with the JSON path it reads (``FIELDS``), so the
fidelity test can hold every path to the reference. A value of the wrong JSON type, a
date that is not ``YYYY-MM-DD``, a missing required field, or a payroll group or site
the crosswalk does not know fails the load, naming the page, the worker (its
associateOID) and the field. Secrets never reach an error or a log.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from teamster.core.arrow_types import ARROW_TYPES
from teamster.core.csv_reader import US_DATE, Column, CSVFileError, header_slug, read_csv, schema_of
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
LEDGER_DERIVED = {
    "source_file_name": pa.string(),
    "source_file_date": pa.date32(),
    "source_group_code": pa.string(),
    "code_location": pa.string(),
    "school_number": pa.int64(),
}
GENERAL_LEDGER_SCHEMA = schema_of(COLUMNS, LEDGER_DERIVED)


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
    if parsed.table.num_rows == 0:
        # ADP writes a journal for a pay run that paid someone: no lines is a failed
        # export, and landing it would empty the group's share of the pay date
        raise ADPFileError(f"{display}, line 1: the journal has no lines, only its header")
    parsed.check_unique(["line_no"], "a journal numbers each of its lines once (LINE_NO)")
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


def files_fingerprint(files: list[RemoteFile]) -> str:
    """What a pay date's load records of its files, and the sensor compares: each file's
    name, mtime and size."""
    return ";".join(
        f"{f.path.rsplit('/', 1)[-1]}:{f.mtime}:{f.size}"
        for f in sorted(files, key=lambda f: f.path)
    )


# --- Workforce Now's worker objects, one typed row per work assignment ---------------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_NOT_WORD = re.compile(r"\W")
_PART = re.compile(r"[^.\[]+(?:\[[^\]]*\])?")


def path_parts(path: str) -> list[str]:
    """``a.b[c.d=X].e`` -> ``["a", "b[c.d=X]", "e"]`` (a filter's dots stay in it)."""
    return _PART.findall(path)


class WorkforceNowError(RuntimeError):
    """The API refused us, or answered something we do not read; says which."""


@dataclass(frozen=True)
class Field:
    """A landed column and the worker JSON it comes from.

    ``paths`` are tried in order (the first present value wins), relative to the worker,
    or to the work assignment when they start with ``workAssignments[].``. A part
    ``name[kind=Value]`` picks the item of a list whose ``kind`` (a path in the item)
    equals ``Value`` once non-word characters are dropped from both.
    """

    name: str
    paths: tuple[str, ...]
    kind: str = "string"  # string | date | bool
    required: bool = False  # on every work assignment
    # on some work assignment of any load: when no worker has it, ADP renamed or dropped
    # it, and the column must not quietly land empty
    expected: bool = True

    def reads(self) -> set[str]:
        """Every reference path this field reads, ``workers[]...`` with filters as the
        list and the field they compare."""
        out = set()
        for path in self.paths:
            prefix = "workers[]"
            for part in path_parts(path):
                name, _, where = part.partition("[")
                if where and where != "]":
                    kind = where.rstrip("]").split("=", 1)[0]
                    out.add(f"{prefix}.{name}[].{kind}")
                    prefix = f"{prefix}.{name}[]"
                else:
                    prefix = f"{prefix}.{part}"
            out.add(prefix)
        return out


_WA = "workAssignments[]."
_DEPARTMENT = _WA + "homeOrganizationalUnits[typeCode.codeValue=Department].nameCode"
_BUSINESS_UNIT = _WA + "homeOrganizationalUnits[typeCode.codeValue=BusinessUnit].nameCode"
FIELDS = [
    Field("associate_oid", ("associateOID",), required=True),
    Field("worker_id", ("workerID.idValue",)),
    Field("worker_status_code", ("workerStatus.statusCode.codeValue",)),
    Field("original_hire_date", ("workerDates.originalHireDate",), "date"),
    Field("worker_termination_date", ("workerDates.terminationDate",), "date", expected=False),
    Field("legal_given_name", ("person.legalName.givenName",)),
    Field("legal_family_name", ("person.legalName.familyName1",)),
    Field("preferred_given_name", ("person.preferredName.givenName",)),
    Field("preferred_family_name", ("person.preferredName.familyName1",)),
    Field(
        "work_email",
        ("businessCommunication.emails[nameCode.codeValue=WorkEmail].emailUri",),
    ),
    Field("item_id", (_WA + "itemID",), required=True),
    Field("position_id", (_WA + "positionID",), required=True),
    Field("primary_indicator", (_WA + "primaryIndicator",), "bool"),
    Field("payroll_group_code", (_WA + "payrollGroupCode",), required=True),
    Field("payroll_file_number", (_WA + "payrollFileNumber",)),
    Field("job_title", (_WA + "jobTitle",)),
    Field("job_code", (_WA + "jobCode.codeValue",)),
    Field("hire_date", (_WA + "hireDate",), "date"),
    Field("actual_start_date", (_WA + "actualStartDate",), "date"),
    Field("termination_date", (_WA + "terminationDate",), "date", expected=False),
    Field(
        "assignment_status_code", (_WA + "assignmentStatus.statusCode.codeValue",), required=True
    ),
    Field(
        "assignment_status_name",
        (
            _WA + "assignmentStatus.statusCode.longName",
            _WA + "assignmentStatus.statusCode.shortName",
        ),
    ),
    Field("assignment_status_effective_date", (_WA + "assignmentStatus.effectiveDate",), "date"),
    Field("home_work_location_code", (_WA + "homeWorkLocation.nameCode.codeValue",)),
    Field(
        "home_work_location_name",
        (
            _WA + "homeWorkLocation.nameCode.longName",
            _WA + "homeWorkLocation.nameCode.shortName",
        ),
    ),
    Field("home_department_code", (_DEPARTMENT + ".codeValue",)),
    Field("home_department_name", (_DEPARTMENT + ".longName", _DEPARTMENT + ".shortName")),
    Field("home_business_unit_code", (_BUSINESS_UNIT + ".codeValue",)),
]
# added by the load, not sent by ADP: what the crosswalk makes of group and site
WORKERS_DERIVED = {"code_location": pa.string(), "school_number": pa.int64()}
WORKERS_SCHEMA = pa.schema(
    [(f.name, ARROW_TYPES[f.kind]) for f in FIELDS] + list(WORKERS_DERIVED.items())
)


class _Missing:
    """No value at a path (distinct from JSON null, which is also no value)."""


MISSING = _Missing()


def _step(value: Any, part: str) -> Any:
    name, _, where = part.partition("[")
    if not isinstance(value, dict):
        raise TypeError(f"the value holding {name} is not a JSON object")
    value = value.get(name, MISSING)
    if not where or value is MISSING or value is None:
        return value
    if not isinstance(value, list):
        raise TypeError(f"{name} is not a list")
    kind, _, wanted = where.rstrip("]").partition("=")
    for item in value:
        found = _get(item, kind)
        if isinstance(found, str) and _NOT_WORD.sub("", found) == _NOT_WORD.sub("", wanted):
            return item
    return MISSING


def _get(value: Any, path: str) -> Any:
    for part in path_parts(path):
        value = _step(value, part)
        if value is MISSING or value is None:
            return MISSING
    return value


def _typed(value: Any, kind: str) -> Any:
    """The value as ``kind``; ``ValueError`` saying what it should have been."""
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("a JSON true or false")
        return value
    if not isinstance(value, str):
        raise ValueError("a JSON string")
    if kind == "date":
        if not _ISO_DATE.fullmatch(value):
            raise ValueError("a date YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError("a date YYYY-MM-DD") from None
    return value


def worker_rows(worker: Any, config: ADPConfig, where: str) -> list[dict[str, Any]]:
    """One row per work assignment of ``worker``; ``where`` names the page in errors."""
    if not isinstance(worker, dict):
        raise WorkforceNowError(f"{where}: a worker is not a JSON object")
    aoid = worker.get("associateOID")
    who = f"{where}, worker {aoid!r}" if isinstance(aoid, str) else f"{where}, a worker"
    assignments = worker.get("workAssignments")
    if not isinstance(assignments, list) or not assignments:
        raise WorkforceNowError(f"{who}, field workAssignments: expected a non-empty list")
    rows = []
    for index, assignment in enumerate(assignments):
        row: dict[str, Any] = {}
        for field in FIELDS:
            value: Any = MISSING
            for path in field.paths:
                on_assignment = path.startswith(_WA)
                source = assignment if on_assignment else worker
                relative = path[len(_WA) :] if on_assignment else path
                shown = f"workAssignments[{index}].{relative}" if on_assignment else path
                try:
                    raw = _get(source, relative)
                except TypeError as e:
                    raise WorkforceNowError(f"{who}, field {shown}: {e}") from None
                if raw is MISSING:
                    continue
                try:
                    value = _typed(raw, field.kind)
                except ValueError as e:
                    raise WorkforceNowError(f"{who}, field {shown}: {raw!r} is not {e}") from None
                break
            if value is MISSING:
                if field.required:
                    raise WorkforceNowError(f"{who}, field {field.paths[0]}: a value is required")
                value = None
            row[field.name] = value
        group = row["payroll_group_code"]
        if group not in config.payroll_groups:
            raise WorkforceNowError(
                f"{who}, field workAssignments[{index}].payrollGroupCode: {group!r} is not in "
                f"{config.source} (`payroll_groups`)"
            )
        row["code_location"] = config.code_location(group)
        try:
            row["school_number"] = config.school_number(
                row["home_work_location_code"], row["home_department_code"]
            )
        except UnknownSite as e:
            raise WorkforceNowError(
                f"{who}, field workAssignments[{index}].homeWorkLocation: {e}"
            ) from None
        rows.append(row)
    return rows


def check_expected(rows: list[dict[str, Any]], where: str) -> None:
    """Fail when no row has a field every load should have somewhere (see ``Field``)."""
    absent = [
        " or ".join(f.paths)
        for f in FIELDS
        if f.expected and rows and all(row[f.name] is None for row in rows)
    ]
    if absent:
        raise WorkforceNowError(
            f"{where}: no worker has {'; '.join(absent)}; did ADP rename or drop it?"
        )
