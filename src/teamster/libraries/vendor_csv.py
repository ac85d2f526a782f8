"""Vendor CSV exports with display headers, read strictly into declared, typed columns.

Vendors (i-Ready, ADP payroll) write headers for people ("Baseline Diagnostic (Y/N)",
"ACCT_NO") and change their case or punctuation between templates. A header is matched
by its slug, the rule the production project that reads these files uses: lower case,
"%" spelled "percent", every other run of characters that are not letters or digits
becomes one "_". A declared column may name alternatives, the other slugs a vendor has
used for it; exactly one of them must be in the file.

Every declared column must be present (a renamed column fails, it never lands as all
NULL); undeclared ones are ignored. The first value that does not parse fails the whole
file with its name, line and the column's header as the file spells it. A file must end
with a line break: one cut off in transfer would otherwise lose its last value quietly.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_NOT_NUMBER_CHARACTER = re.compile(r"[^0-9.]")


class VendorFileError(ValueError):
    """A file does not match its declaration; the message names file, line and column."""


def header_slug(text: str) -> str:
    """``"Percent Progress to Annual Typical Growth (%)"`` ->
    ``"percent_progress_to_annual_typical_growth_percent"``."""
    return _NOT_ALNUM.sub("_", text.replace("%", " percent ").lower()).strip("_")


def _whole(number: decimal.Decimal) -> int:
    """A number cast to a whole one the way BigQuery casts NUMERIC to INT64: halves away
    from zero."""
    return int(number.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def _integer(text: str) -> int:
    if not _INTEGER.fullmatch(text):
        raise ValueError("a whole number")
    return int(text)


def _whole_number(text: str) -> int:
    if not _NUMBER.fullmatch(text):
        raise ValueError("a number")
    return _whole(decimal.Decimal(text))


def _digits_number(text: str) -> int:
    """Keep digits and ".", then the number: ``"L-3010"`` and ``"3010.0"`` are 3010."""
    kept = _NOT_NUMBER_CHARACTER.sub("", text)
    if not _NUMBER.fullmatch(kept):
        raise ValueError("a number once its other characters are dropped")
    return _whole(decimal.Decimal(kept))


def _decimal(text: str) -> float:
    if not _NUMBER.fullmatch(text):
        raise ValueError("a number")
    return float(text)


def _money(text: str) -> decimal.Decimal:
    if not _NUMBER.fullmatch(text):
        raise ValueError("an amount")
    amount = decimal.Decimal(text)
    if amount != amount.quantize(decimal.Decimal("0.01")):
        raise ValueError("an amount in cents")
    return amount.quantize(decimal.Decimal("0.01"))


def _date_mdy(text: str) -> dt.date:
    try:
        return dt.datetime.strptime(text, "%m/%d/%Y").date()
    except ValueError:
        raise ValueError("a date MM/DD/YYYY") from None


def _yes_no(text: str) -> str:
    if text not in ("Y", "N"):
        raise ValueError("Y or N")
    return text


# kind -> (parse non-empty text, Arrow type)
KINDS: dict[str, tuple[Callable[[str], Any], pa.DataType]] = {
    "text": (str, pa.string()),
    "integer": (_integer, pa.int64()),
    "whole_number": (_whole_number, pa.int64()),
    "digits_number": (_digits_number, pa.int64()),
    "decimal": (_decimal, pa.float64()),
    "money": (_money, pa.decimal128(18, 2)),
    "date_mdy": (_date_mdy, pa.date32()),
    "yes_no": (_yes_no, pa.string()),
}


@dataclass(frozen=True)
class Column:
    """A vendor column: its slug (the landed name), kind, and what else may be true."""

    name: str
    kind: str
    required: bool = False  # a value on every row
    alternatives: tuple[str, ...] = ()  # other slugs the vendor has used for it
    allowed: frozenset[str] | None = None  # the only values it may hold

    @property
    def arrow_type(self) -> pa.DataType:
        return KINDS[self.kind][1]

    @property
    def slugs(self) -> tuple[str, ...]:
        return (self.name, *self.alternatives)


@dataclass
class Parsed:
    """A file's declared columns as Python values, with each row's line number."""

    values: dict[str, list[Any]]
    lines: list[int]
    headers: dict[str, str]  # column name -> the header as the file spells it
    extra_headers: list[str] = field(default_factory=list)

    def table(self, schema: pa.Schema) -> pa.Table:
        return pa.Table.from_pydict({f.name: self.values[f.name] for f in schema}, schema=schema)


def schema_of(
    columns: Sequence[Column], extra: Mapping[str, pa.DataType] | None = None
) -> pa.Schema:
    """The landed schema: the declared columns, then any the reader adds (provenance)."""
    return pa.schema([(c.name, c.arrow_type) for c in columns] + list((extra or {}).items()))


def read_vendor_csv(
    path: Path, columns: Sequence[Column], display: str, encoding: str = "utf-8-sig"
) -> Parsed:
    """Parse ``path`` into ``columns``; ``display`` names it in errors (a URI, no secret)."""
    data = path.read_bytes()
    if not data.strip():
        raise VendorFileError(f"{display}, line 1: the file is empty (no header row)")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        raise VendorFileError(f"{display}: not {encoding} text ({e.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader)]
        positions = _positions(header, columns, display)
        values: dict[str, list[Any]] = {c.name: [] for c in columns}
        lines: list[int] = []
        for row in reader:
            if not row or row == [""]:
                continue  # a blank line
            if len(row) != len(header):
                raise VendorFileError(
                    f"{display}, line {reader.line_num}: expected {len(header)} fields, "
                    f"found {len(row)}"
                )
            for column in columns:
                at = positions[column.name]
                values[column.name].append(
                    _value(row[at].strip(), column, header[at], display, reader.line_num)
                )
            lines.append(reader.line_num)
    except csv.Error as e:
        raise VendorFileError(f"{display}, line {reader.line_num}: {e}") from None
    if not data.endswith((b"\n", b"\r")):
        raise VendorFileError(
            f"{display}, line {reader.line_num}: the last row has no line ending; the file "
            "looks truncated"
        )
    used = set(positions.values())
    return Parsed(
        values,
        lines,
        {c.name: header[positions[c.name]] for c in columns},
        [h for i, h in enumerate(header) if i not in used],
    )


def _positions(header: list[str], columns: Sequence[Column], display: str) -> dict[str, int]:
    slugs = [header_slug(h) for h in header]
    # two headers that read as one only matter when it is a column we read
    wanted = {s for column in columns for s in column.slugs}
    repeated = sorted({s for s in slugs if s in wanted and slugs.count(s) > 1})
    if repeated:
        raise VendorFileError(f"{display}, line 1: column(s) {repeated} appear more than once")
    positions, missing, ambiguous = {}, [], []
    for column in columns:
        found = [slugs.index(s) for s in column.slugs if s in slugs]
        if not found:
            missing.append(" or ".join(repr(s) for s in column.slugs))
        elif len(found) > 1:
            ambiguous.append(" and ".join(repr(header[i]) for i in found))
        else:
            positions[column.name] = found[0]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if ambiguous:
        problems.append(f"both of {'; '.join(ambiguous)} (one column under two names)")
    if problems:
        raise VendorFileError(f"{display}, line 1: {'; '.join(problems)}")
    return positions


def _value(text: str, column: Column, header: str, display: str, line: int) -> Any:
    where = f"{display}, line {line}, column {header!r}"
    if text == "":
        if column.required:
            raise VendorFileError(f"{where}: a value is required")
        return None
    parse = KINDS[column.kind][0]
    try:
        value = parse(text)
    except ValueError as e:
        raise VendorFileError(f"{where}: {text!r} is not {e}") from None
    if column.allowed is not None and text not in column.allowed:
        raise VendorFileError(f"{where}: {text!r} is not one of {sorted(column.allowed)}")
    return value


def check_values(
    parsed: Parsed,
    name: str,
    allowed: Collection[Any],
    display: str,
    what: str,
) -> None:
    """Every value of column ``name`` is in ``allowed``; the first that is not fails the
    file, named with its line (``what`` says what the allowed values are)."""
    for value, line in zip(parsed.values[name], parsed.lines, strict=True):
        if value is not None and value not in allowed:
            raise VendorFileError(
                f"{display}, line {line}, column {parsed.headers[name]!r}: {value!r} is not {what}"
            )
