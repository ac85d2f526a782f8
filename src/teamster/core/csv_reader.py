"""CSV files read strictly into declared, typed columns, or refused naming file, line and column.

One reader for every CSV teamster lands (PowerSchool's SIS table export, Google Sheets
tabs, i-Ready and ADP exports), with one set of rules:

- UTF-8 text, with or without a byte-order mark; rows end in LF or CRLF; a quoted value
  may hold line breaks. Blank lines are skipped.
- Line 1 is the header. Each field of it (quoted or not, spaces around it dropped) is
  turned into a key by the caller's rule (``header_key``: the name as written, a vendor's
  slug, the SIS export's name without its ``TABLE.`` prefix) and matched to the declared
  columns' names and alternatives. Every declared column must be there exactly once;
  undeclared ones are ignored, or refused with ``extra="error"``.
- Only an empty field is NULL: ``NA``, ``NULL`` or ``nan`` are values like any other.
- The last row ends with a line ending and not inside a quoted value: a file cut off in
  transfer would otherwise lose or shorten its last row without a word.
- A value that does not parse, an empty required value or one outside a column's
  allowed values fails the whole file, naming its line and the header as the file
  spells it; nothing is returned. So does a byte that is not UTF-8 (a Windows-1252
  export), naming the column it is in.
- Dates and date-times are real ones: no February 30th rolled over into March, no
  two-digit year read as year 26, no time-zone offset where the column has no zone.
- ``CSVFile.check_unique`` refuses a key found on two rows, naming both lines.

Columns of Arrow types (``int64``, ``date``, ``decimal(18,2)``...) are converted by
pyarrow in one pass, which keeps the SIS export's large files fast. Vendor kinds
(``whole_number``, ``money``...) and dates in a vendor's own format are parsed from the
value with surrounding spaces dropped (a blank value is then an empty one); vendor
kinds go value by value in Python, fine for the small files they are declared for. Rows
are walked in Python otherwise only to place an error on its line.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import re
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from teamster.core.arrow_types import INTEGER, arrow_type, type_name

US_DATE = "%m/%d/%Y"
# ISO 8601 only ("2026-11-09 13:00:00", fractions, "T" or a space): pyarrow's strptime
# formats roll a day past the month's end over ("2026-02-30" became March 2nd) and take
# a two-digit year as year 26, where its ISO parser refuses both
TIMESTAMP_PARSERS = [pacsv.ISO8601]
_BOM = b"\xef\xbb\xbf"
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_NOT_NUMBER_CHARACTER = re.compile(r"[^0-9.]")
# strptime directives as people write them in a message ("MM/DD/YYYY")
_SPELLED = {"%Y": "YYYY", "%y": "YY", "%m": "MM", "%d": "DD", "%H": "HH", "%M": "MM", "%S": "SS"}


class CSVFileError(ValueError):
    """A file does not match its declaration; the message names file, line and column."""


def header_slug(text: str) -> str:
    """A vendor header as a column name, stable across the vendor's respellings:
    ``"Percent Progress to Annual Typical Growth (%)"`` ->
    ``"percent_progress_to_annual_typical_growth_percent"``."""
    return _NOT_ALNUM.sub("_", text.replace("%", " percent ").lower()).strip("_")


# --- vendor kinds: parsed in Python from the value with its surrounding spaces dropped ---


def _whole(number: decimal.Decimal) -> int:
    """A number cast to a whole one as BigQuery casts NUMERIC to INT64: halves away
    from zero."""
    return int(number.quantize(decimal.Decimal(1), rounding=decimal.ROUND_HALF_UP))


def _integer(text: str) -> int:
    if not INTEGER.fullmatch(text):
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


def _number(text: str) -> float:
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


def _yes_no(text: str) -> str:
    if text not in ("Y", "N"):
        raise ValueError("Y or N")
    return text


# kind -> (parse the trimmed, non-empty text; ValueError says what it should be, Arrow type)
VENDOR_KINDS: dict[str, tuple[Callable[[str], Any], pa.DataType]] = {
    "text": (str, pa.string()),
    "integer": (_integer, pa.int64()),
    "whole_number": (_whole_number, pa.int64()),
    "digits_number": (_digits_number, pa.int64()),
    "number": (_number, pa.float64()),
    "money": (_money, pa.decimal128(18, 2)),
    "yes_no": (_yes_no, pa.string()),
}


@dataclass(frozen=True)
class Column:
    """A declared column: the name it lands as (and the header key it is found by), its
    kind, and what else must hold of it."""

    name: str
    kind: str  # an Arrow type name (``int64``, ``decimal(18,2)``) or a vendor kind
    required: bool = False  # a value on every row
    alternatives: tuple[str, ...] = ()  # other header keys the source has used for it
    allowed: frozenset[str] | None = None  # the only values it may hold
    format: str | None = None  # strptime format of a date or timestamp not written ISO

    def __post_init__(self) -> None:
        kind = self.arrow_type  # refuses an unknown kind
        if self.format is not None and self.kind not in ("date", "timestamp"):
            raise ValueError(f"column {self.name!r}: a format needs a date or timestamp kind")
        if self.allowed is not None and kind != pa.string():
            raise ValueError(f"column {self.name!r}: allowed values need a text kind")

    @property
    def arrow_type(self) -> pa.DataType:
        if self.kind in VENDOR_KINDS:
            return VENDOR_KINDS[self.kind][1]
        return arrow_type(self.kind)

    @property
    def keys(self) -> tuple[str, ...]:
        return (self.name, *self.alternatives)

    @property
    def by_arrow(self) -> bool:
        """Converted by pyarrow while the file is parsed, rather than from text after."""
        return self.kind not in VENDOR_KINDS and self.format is None


def schema_of(
    columns: Sequence[Column], extra: Mapping[str, pa.DataType] | None = None
) -> pa.Schema:
    """The landed schema: the declared columns, then any the caller adds (provenance)."""
    return pa.schema([(c.name, c.arrow_type) for c in columns] + list((extra or {}).items()))


def _as_written(header: str) -> str:
    return header


@dataclass
class CSVFile:
    """A file's declared columns, typed, and where each row came from for messages."""

    table: pa.Table  # the declared columns, in declared order
    display: str
    headers: dict[str, str]  # column name -> its header as the file spells it
    extra_headers: list[str]  # the file's headers no column was read from
    error: type[CSVFileError]
    data: bytes = field(repr=False)
    _lines: list[int] | None = field(default=None, repr=False)

    def values(self, name: str) -> list[Any]:
        return self.table.column(name).to_pylist()

    def line(self, row: int) -> int:
        """The line row ``row`` (0 is the first after the header) ends on."""
        if self._lines is None:
            self._lines = _row_lines(self.data, self.display, self.error)
        return self._lines[row]

    def where(self, row: int, *names: str) -> str:
        """``"<file>, line 3, column 'Header'"``: where a message about a value points."""
        spelled = "/".join(repr(self.headers[n]) for n in names)
        return f"{self.display}, line {self.line(row)}, column{'s' * (len(names) > 1)} {spelled}"

    def check(self, name: str, allowed: Collection[Any], what: str) -> None:
        """Every value of column ``name`` is in ``allowed``; the first that is not fails
        the file (``what`` says what the allowed values are)."""
        column = self.table.column(name)
        row = _first_outside(column, allowed)
        if row is not None:
            value = column[row].as_py()
            raise self.error(f"{self.where(row, name)}: {value!r} is not {what}")

    def check_unique(self, names: Sequence[str], what: str) -> None:
        """No two rows share the values of columns ``names`` (rows with an empty one are
        left out); the first repeat fails the file naming its line and the earlier one.
        ``what`` says why the key is one, for the person who must fix the file."""
        later, earlier = _first_repeat(self.table.select(list(names)))
        if later is None or earlier is None:
            return
        shown = ", ".join(
            value.isoformat() if isinstance(value, dt.date) else repr(value)
            for value in (self.table.column(n)[later].as_py() for n in names)
        )
        raise self.error(
            f"{self.where(later, *names)}: {shown} is also on line {self.line(earlier)}; {what}"
        )

    def landed(self, schema: pa.Schema, derived: Mapping[str, Sequence[Any]]) -> pa.Table:
        """The declared columns with the ones a caller derives, as ``schema``."""
        columns = {name: self.table.column(name) for name in self.table.column_names}
        return pa.table({**columns, **derived}, schema=schema)


def read_csv(
    source: Path | bytes,
    columns: Sequence[Column],
    display: str,
    *,
    header_key: Callable[[str], str] = _as_written,
    extra: Literal["ignore", "error"] = "ignore",
    error: type[CSVFileError] = CSVFileError,
) -> CSVFile:
    """Parse ``source`` (a local file or its bytes) strictly into ``columns``.

    ``display`` names the file in every message (a URI or sheet, never a secret);
    ``error`` is the class raised, so a caller's own subclass reaches its users.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    header = _header(data, display, error)
    positions = _positions(header, columns, header_key, extra, display, error)
    _refuse_truncation(data, display, error)
    table = _parse(data, header, columns, positions, display, error)
    used = set(positions.values())
    read = CSVFile(
        table,
        display,
        {c.name: header[positions[c.name]] for c in columns},
        [h for i, h in enumerate(header) if i not in used],
        error,
        data,
    )
    converted, problems = [], []
    for column in columns:
        values, problem = _convert(table.column(column.name), column)
        converted.append(values)
        if problem is not None:
            problems.append(problem)
    if problems:
        row, name, message = min(problems, key=lambda p: p[0])
        raise error(f"{read.where(row, name)}: {message}")
    read.table = pa.table(converted, schema=schema_of(columns))
    return read


def _records(
    data: bytes, display: str, error: type[CSVFileError]
) -> Iterator[tuple[int, list[str]]]:
    """(line the record ends on, fields) of each record, blank lines skipped as pyarrow
    skips them. Decodes the whole file: for placing an error, not for the normal path."""
    body = data.removeprefix(_BOM)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise error(_not_utf8(body, e, display)) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for fields in reader:
            if fields:
                yield reader.line_num, fields
    except csv.Error as e:
        raise error(f"{display}, line {reader.line_num}: unreadable CSV ({e})") from None


def _not_utf8(body: bytes, e: UnicodeDecodeError, display: str) -> str:
    """Where the first byte that is not UTF-8 is: its line and, past the header, the
    header of its column (a Windows-1252 export shows up as one accented name)."""
    line = body.count(b"\n", 0, e.start) + 1
    where = f"{display}, line {line}"
    problem = f"not UTF-8 text (byte 0x{body[e.start]:02x}; was it exported as Windows-1252?)"
    # the bad bytes kept as lone surrogates, so the fields can still be told apart
    text = body.decode("utf-8", errors="surrogateescape")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    try:
        for fields in reader:
            if not fields:
                continue
            if header is None:
                header = fields
            bad = [i for i, f in enumerate(fields) if any("\udc80" <= c <= "\udcff" for c in f)]
            if bad:
                if fields is not header and bad[0] < len(header):
                    where += f", column {header[bad[0]].strip()!r}"
                break
    except csv.Error:
        pass  # the line alone, then
    return f"{where}: {problem}"


def _row_lines(
    data: bytes, display: str, error: type[CSVFileError], width: int | None = None
) -> list[int]:
    """The line each row after the header ends on; with ``width``, a row with another
    number of fields fails naming its line."""
    lines = []
    for line, fields in _records(data, display, error):
        if width is not None and len(fields) != width:
            raise error(f"{display}, line {line}: expected {width} fields, found {len(fields)}")
        lines.append(line)
    return lines[1:]


def _header(data: bytes, display: str, error: type[CSVFileError]) -> list[str]:
    """The first line's fields; decodes only as much of the file as that takes."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    try:
        header = next(csv.reader(text), [])
    except (UnicodeDecodeError, csv.Error):
        next(_records(data, display, error))  # raises, naming the line
        raise
    if not header and not data.removeprefix(_BOM).strip():
        raise error(f"{display}, line 1: the file is empty (no header row)")
    return [h.strip() for h in header]


def _positions(
    header: list[str],
    columns: Sequence[Column],
    header_key: Callable[[str], str],
    extra: Literal["ignore", "error"],
    display: str,
    error: type[CSVFileError],
) -> dict[str, int]:
    """Each declared column's position in the header, or an error naming every column
    that is missing, found twice or (with ``extra="error"``) not declared."""
    keys = [header_key(h) for h in header]
    wanted = {key for column in columns for key in column.keys}
    # two headers with one key only matter for a column that is read
    repeated = sorted({k for k in keys if k in wanted and keys.count(k) > 1})
    if repeated:
        raise error(f"{display}, line 1: column(s) {repeated} appear more than once")
    positions, missing, ambiguous = {}, [], []
    for column in columns:
        found = [keys.index(k) for k in column.keys if k in keys]
        if not found:
            missing.append(" or ".join(repr(k) for k in column.keys))
        elif len(found) > 1:
            ambiguous.append(" and ".join(repr(header[i]) for i in found))
        else:
            positions[column.name] = found[0]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(missing)}")
    if ambiguous:
        problems.append(f"both of {'; '.join(ambiguous)} (one column under two names)")
    unexpected = [repr(h) for h, k in zip(header, keys, strict=True) if k not in wanted]
    if unexpected and extra == "error":
        problems.append(f"unexpected column(s) {', '.join(unexpected)}")
    if problems:
        raise error(f"{display}, line 1: {'; '.join(problems)}")
    return positions


def _refuse_truncation(data: bytes, display: str, error: type[CSVFileError]) -> None:
    """Refuse a file whose last row has no line ending, or ends inside a quoted value
    (a cut that lands just after a line break within the value)."""
    if not data.endswith((b"\n", b"\r")):
        line = data.count(b"\n") + 1
        raise error(
            f"{display}, line {line}: the last row has no line ending; the file is truncated"
        )
    # Quote by quote, whenever there is one: counting them is no shortcut, since a
    # stray quote in an unquoted value (an inch mark: 5'10") evens the count out.
    if b'"' in data and (line := _unclosed_quote(data)) is not None:
        raise error(
            f"{display}, line {line}: a quoted value that starts here never ends; the file "
            "is truncated"
        )


def _unclosed_quote(data: bytes) -> int | None:
    """The line of a quoted value still open at the end of ``data``, or None. A quote
    opens a value only at the start of a field, as pyarrow and Python's csv read it."""
    start = len(_BOM) if data.startswith(_BOM) else 0
    quotes = (m.start() for m in re.finditer(b'"', data))
    opened = None
    for at in quotes:
        if opened is not None:
            if data[at + 1 : at + 2] == b'"':
                next(quotes, None)  # a doubled quote is one quote in the value
            else:
                opened = None
        elif at == start or data[at - 1 : at] in (b",", b"\n", b"\r"):
            opened = at
    return None if opened is None else data.count(b"\n", 0, opened) + 1


def _parse(
    data: bytes,
    header: list[str],
    columns: Sequence[Column],
    positions: Mapping[str, int],
    display: str,
    error: type[CSVFileError],
) -> pa.Table:
    """The declared columns as pyarrow parses them: Arrow types converted, the rest text.

    The file's own header is skipped and its columns named by position, so headers that
    repeat or are not valid names never reach pyarrow.
    """
    names = [f"f{i}" for i in range(len(header))]
    read = [names[positions[c.name]] for c in columns]

    def parse(types: Mapping[str, pa.DataType]) -> pa.Table:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=read,
                null_values=[""],
                strings_can_be_null=True,
                timestamp_parsers=TIMESTAMP_PARSERS,
            ),
        )
        return table.rename_columns([c.name for c in columns])

    types = {
        at: c.arrow_type if c.by_arrow else pa.string() for at, c in zip(read, columns, strict=True)
    }
    try:
        return parse(types)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as failure:
        # pyarrow's message has neither line nor header: a row of the wrong width, or
        # the first value that is no value of its column's type, is found again here
        lines = _row_lines(data, display, error, width=len(header))
        try:
            text = parse(dict.fromkeys(read, pa.string()))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            raise error(f"{display}: unreadable CSV: {failure}") from None
        bad = [
            (row, column)
            for column in columns
            if column.by_arrow
            and (row := _first_uncastable(text.column(column.name), column.arrow_type)) is not None
        ]
        if not bad:
            raise error(f"{display}: {failure}") from None
        row, column = min(bad, key=lambda b: b[0])
        raw = text.column(column.name)[row].as_py()
        spelled = header[positions[column.name]]
        raise error(
            f"{display}, line {lines[row]}, column {spelled!r}: {raw!r} is not a valid "
            f"{type_name(column.arrow_type)}"
        ) from None


def _first_uncastable(text: pa.ChunkedArray, kind: pa.DataType) -> int | None:
    """The first row whose text does not cast to ``kind``, casting a block at a time and
    one by one only within the block that fails."""
    values = text.combine_chunks()
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        values = pc.utf8_trim_whitespace(values)  # pyarrow's CSV reader trims numbers
    elif pa.types.is_date(kind):
        values = pc.utf8_trim_whitespace(values)  # and dates, but not date-times
    block = 4096
    for start in range(0, len(values), block):
        chunk = values.slice(start, block)
        try:
            chunk.cast(kind)
            continue
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        for offset in range(len(chunk)):
            try:
                chunk.slice(offset, 1).cast(kind)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                return start + offset
    return None


def _convert(
    text: pa.ChunkedArray, column: Column
) -> tuple[pa.ChunkedArray, tuple[int, str, str] | None]:
    """``column``'s values as its Arrow type, and its first problem as (row, column
    name, message), if any."""
    values = text
    if not column.by_arrow:
        trimmed = pc.utf8_trim_whitespace(text)
        trimmed = pc.if_else(pc.equal(trimmed, ""), pa.scalar(None, pa.string()), trimmed)
        if column.format is not None:
            parsed, row = _strptime(trimmed, column.format)
            if row is not None:
                spelled = column.format
                for directive, spelling in _SPELLED.items():
                    spelled = spelled.replace(directive, spelling)
                raw = trimmed[row].as_py()
                return values, (row, column.name, f"{raw!r} is not a {column.kind} {spelled}")
            values = parsed.cast(column.arrow_type)
        else:
            parse = VENDOR_KINDS[column.kind][0]
            out = []
            for row, raw in enumerate(trimmed.to_pylist()):
                try:
                    out.append(None if raw is None else parse(raw))
                except ValueError as e:
                    return values, (row, column.name, f"{raw!r} is not {e}")
            values = pa.chunked_array([pa.array(out, column.arrow_type)])
    if column.required and (row := _first(values.is_null())) is not None:
        return values, (row, column.name, "a value is required")
    if column.allowed is not None and (row := _first_outside(values, column.allowed)) is not None:
        raw = values[row].as_py()
        return values, (row, column.name, f"{raw!r} is not one of {sorted(column.allowed)}")
    return values, None


def _strptime(text: pa.ChunkedArray, spec: str) -> tuple[pa.Array | pa.ChunkedArray, int | None]:
    """``text`` parsed with ``spec`` by Python's strptime, and the first row that does
    not parse (or None). Not pyarrow's strptime: it rolls "02/30/2026" over to March 2nd
    and reads "10/07/26" as year 26. Each distinct value is parsed once, so a large
    file's few hundred dates cost little."""
    distinct = pc.unique(text)
    parsed: list[dt.datetime | None] = []
    bad: list[str] = []
    for value in distinct.to_pylist():
        try:
            parsed.append(None if value is None else dt.datetime.strptime(value, spec))
        except ValueError:
            parsed.append(None)
            bad.append(value)
    if bad:
        return pa.nulls(0, pa.timestamp("us")), _first(pc.is_in(text, value_set=pa.array(bad)))
    positions = pc.index_in(text, value_set=distinct)
    return pc.take(pa.array(parsed, pa.timestamp("us")), positions), None


def _first_repeat(keys: pa.Table) -> tuple[int | None, int | None]:
    """(row, earlier row) of the first row whose values in every column of ``keys``
    repeat an earlier row's, or (None, None). Rows are sorted by key (a stable sort, so
    equal keys keep file order) and each compared with the one before it."""
    if keys.num_rows < 2:
        return None, None
    order = pc.sort_indices(keys, sort_keys=[(n, "ascending") for n in keys.column_names])
    ordered = keys.take(order)
    same = None
    for name in keys.column_names:
        column = ordered.column(name).combine_chunks()
        equal = pc.equal(column.slice(1), column.slice(0, len(column) - 1)).fill_null(False)
        same = equal if same is None else pc.and_(same, equal)
    later = pc.filter(order.slice(1), same)
    if len(later) == 0:
        return None, None
    at = pc.index(later, pc.min(later)).as_py()
    return later[at].as_py(), pc.filter(order.slice(0, len(order) - 1), same)[at].as_py()


def _first(mask: pa.ChunkedArray | pa.Array) -> int | None:
    row = pc.index(mask, True).as_py()
    return None if row < 0 else row


def _first_outside(values: pa.ChunkedArray | pa.Array, allowed: Collection[Any]) -> int | None:
    """The first non-empty value not in ``allowed``."""
    inside = pc.is_in(values, value_set=pa.array(list(allowed), values.type))
    return _first(pc.and_(values.is_valid(), pc.invert(inside)))
