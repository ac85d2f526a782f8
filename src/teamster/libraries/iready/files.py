"""The diagnostic results file: its declared columns, and a strict reader.

i-Ready exports one CSV per subject (``diagnostic_results_ela.csv`` holds Reading,
``diagnostic_results_math.csv`` Math) with display headers ("Student ID", dates as
MM/DD/YYYY, grade "K"). The reader keeps the declared columns (extra ones are
ignored), renames them to snake_case, types them, and refuses the whole file at its
first bad value, naming the file, the line and the column. Nothing is loaded from a
refused file.

A file must end with a newline: the exports always do, and a file cut off in the last
field of a row would otherwise pass with a wrong value.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

# partition key (and file suffix) -> the Subject value its rows carry
SUBJECTS = {"ela": "Reading", "math": "Math"}
GRADES = ("K", *(str(g) for g in range(1, 13)))


def file_name(subject: str) -> str:
    return f"diagnostic_results_{subject}.csv"


class IReadyFileError(ValueError):
    """A results file does not match the declaration; names file, line and column."""


@dataclass(frozen=True)
class Column:
    header: str  # as i-Ready writes it
    name: str  # in the warehouse
    kind: str  # int64, string, date, or one of the checked string kinds below
    required: bool = False


COLUMNS = [
    Column("Student ID", "student_id", "int64", required=True),
    Column("Last Name", "last_name", "string"),
    Column("First Name", "first_name", "string"),
    Column("Student Grade", "student_grade", "grade"),
    Column("School", "school", "string"),
    Column("Academic Year", "academic_year", "academic_year", required=True),
    Column("Subject", "subject", "subject", required=True),
    Column("Start Date", "start_date", "date"),
    Column("Completion Date", "completion_date", "date"),
    Column("Baseline Diagnostic (Y/N)", "baseline_diagnostic", "yes_no"),
    Column("Overall Scale Score", "overall_scale_score", "int64"),
    Column("Overall Relative Placement", "overall_relative_placement", "string"),
    Column("Percentile", "percentile", "int64"),
]
ARROW_TYPES = {"int64": pa.int64(), "date": pa.date32()}
SCHEMA = pa.schema([(c.name, ARROW_TYPES.get(c.kind, pa.string())) for c in COLUMNS])
DATE_FORMAT = "%m/%d/%Y"

_INT = re.compile(r"-?[0-9]+")
_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")


def _is_date(value: str) -> bool:
    try:
        dt.datetime.strptime(value, DATE_FORMAT)
    except ValueError:
        return False
    return True


def _is_academic_year(value: str) -> bool:
    m = _YEAR.fullmatch(value)
    return m is not None and int(m.group(2)) == int(m.group(1)) + 1


# kind -> (is this non-empty text valid?, what the error calls a valid value)
CHECKS: dict[str, tuple[Callable[[str], bool], str]] = {
    "int64": (lambda v: _INT.fullmatch(v) is not None, "an integer"),
    "string": (lambda v: True, "text"),
    "date": (_is_date, "a date MM/DD/YYYY"),
    "grade": (lambda v: v in GRADES, "a grade K, 1..12"),
    "yes_no": (lambda v: v in ("Y", "N"), "Y or N"),
    "academic_year": (_is_academic_year, "a school year like 2026-2027"),
}


def read_results(path: Path, subject: str, display: str) -> pa.Table:
    """Parse one subject's file strictly; ``display`` names it in errors (the SFTP URI)."""
    expected_subject = SUBJECTS[subject]
    with path.open("rb") as f:
        f.seek(0, 2)
        if f.tell() == 0:
            raise IReadyFileError(f"{display}, line 1: the file is empty (no header)")
        f.seek(-1, 2)
        ends_with_newline = f.read(1) in (b"\n", b"\r")
    texts: dict[str, list[str]] = {c.name: [] for c in COLUMNS}
    lines: list[int] = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.reader(f, strict=True)
        try:
            header = [h.strip() for h in next(reader)]
            missing = [c.header for c in COLUMNS if c.header not in header]
            if missing:
                raise IReadyFileError(
                    f"{display}, line 1: missing column(s) " + ", ".join(repr(m) for m in missing)
                )
            positions = [(c.name, header.index(c.header)) for c in COLUMNS]
            for values in reader:
                if not values:
                    continue  # a blank line
                if len(values) != len(header):
                    raise IReadyFileError(
                        f"{display}, line {reader.line_num}: expected {len(header)} fields, "
                        f"found {len(values)}"
                    )
                for name, at in positions:
                    texts[name].append(values[at].strip())
                lines.append(reader.line_num)
        except csv.Error as e:
            raise IReadyFileError(f"{display}, line {reader.line_num}: {e}") from None
        except UnicodeDecodeError as e:
            raise IReadyFileError(f"{display}: not UTF-8 text ({e.reason})") from None
    if not ends_with_newline:
        last = lines[-1] if lines else 1
        raise IReadyFileError(
            f"{display}, line {last}, column {COLUMNS[-1].header!r}: the file ends mid-row "
            "(no newline after the last row); it looks truncated"
        )

    arrays = []
    for column in COLUMNS:
        values = texts[column.name]
        if column.kind == "subject":
            ok, what = (
                lambda v: v == expected_subject,
                f"{expected_subject!r} (this is the {subject} file)",
            )
        else:
            ok, what = CHECKS[column.kind]
        for i, value in enumerate(values):
            if value == "":
                if column.required:
                    raise IReadyFileError(
                        f"{display}, line {lines[i]}, column {column.header!r}: is empty"
                    )
            elif not ok(value):
                raise IReadyFileError(
                    f"{display}, line {lines[i]}, column {column.header!r}: {value!r} is not {what}"
                )
        arrays.append(_typed(values, column.kind))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def _typed(values: list[str], kind: str) -> pa.Array:
    """Already-checked texts as the column's Arrow type; empty text is null."""
    text = pa.array([v or None for v in values], pa.string())
    if kind == "int64":
        return text.cast(pa.int64())
    if kind == "date":
        return pc.strptime(text, format=DATE_FORMAT, unit="s").cast(pa.date32())
    return text
