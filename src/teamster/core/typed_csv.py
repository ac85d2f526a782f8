"""CSV files read strictly against a declared schema, or refused with the line and column.

Vendor files and spreadsheets are parsed by pyarrow into exactly the declared columns
and types. Anything that does not fit (a missing or unexpected column, a value of the
wrong type, an empty required value, a row cut short) raises ``CSVSchemaError`` naming
the source, line and column before a single row lands. Empty values are nulls.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

ARROW_TYPES: dict[str, pa.DataType] = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),
}
_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")
TIMESTAMP_PARSERS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", pacsv.ISO8601]


class CSVSchemaError(ValueError):
    """A file does not match its declaration; the message names source, line and column."""


def arrow_type(name: str) -> pa.DataType:
    """The Arrow type a declaration names: ``int64``, ``date``, ``decimal(18,2)``..."""
    if name in ARROW_TYPES:
        return ARROW_TYPES[name]
    if match := _DECIMAL.fullmatch(name.strip()):
        return pa.decimal128(int(match.group(1)), int(match.group(2)))
    raise ValueError(f"unknown column type {name!r}; use one of {[*ARROW_TYPES, 'decimal(p,s)']}")


def type_name(kind: pa.DataType) -> str:
    """The declaration's name for an Arrow type, for messages people read."""
    if pa.types.is_decimal(kind):
        return f"decimal({kind.precision},{kind.scale})"
    return next((name for name, t in ARROW_TYPES.items() if t == kind), str(kind))


def schema_of(columns: Mapping[str, str]) -> pa.Schema:
    return pa.schema([(name, arrow_type(kind)) for name, kind in columns.items()])


def read_typed_csv(
    source: Path | bytes,
    schema: pa.Schema,
    display: str,
    *,
    required: Collection[str] = (),
    expect: Mapping[str, object] | None = None,
    extra_columns: Literal["ignore", "error"] = "ignore",
    complete_last_line: bool = True,
    header_name: Callable[[str], str] | None = None,
    formats: Mapping[str, str] | None = None,
) -> pa.Table:
    """Parse ``source`` (a local file or the bytes of one) into exactly ``schema``.

    ``required`` columns may hold no empty value; every row's ``expect`` columns must
    equal the given values (a pay-date file holds only its pay date).
    ``extra_columns="error"`` refuses columns that are not declared.
    ``complete_last_line`` refuses a file whose last row has no line ending: a file
    that was cut off in transfer or while being written.
    ``header_name`` maps each header field to the column name it stands for (a vendor
    that prefixes or capitalises names); ``formats`` gives a ``strptime`` format for
    date or timestamp columns a vendor does not write in ISO form.
    """
    data = source.read_bytes() if isinstance(source, Path) else source
    header = _header(data, display, header_name)
    formats = formats or {}
    missing = [name for name in schema.names if name not in header]
    extra = [name for name in header if name not in schema.names]
    problems = []
    if missing:
        problems.append(f"missing column(s) {', '.join(repr(m) for m in missing)}")
    if extra and extra_columns == "error":
        problems.append(f"unexpected column(s) {', '.join(repr(e) for e in extra)}")
    if problems:
        raise CSVSchemaError(
            f"{display}, line 1: {'; '.join(problems)} (declared: {', '.join(schema.names)})"
        )
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise CSVSchemaError(f"{display}, line 1: column(s) {duplicated} appear more than once")
    if complete_last_line and data and not data.endswith(b"\n"):
        line = data.count(b"\n") + 1
        raise CSVSchemaError(
            f"{display}, line {line}: the last row has no line ending; the file is truncated"
        )
    read_as = pa.schema([(f.name, pa.string()) if f.name in formats else f for f in schema])
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=header, skip_rows=1),
            convert_options=pacsv.ConvertOptions(
                column_types=read_as,
                include_columns=schema.names,
                strings_can_be_null=True,
                timestamp_parsers=TIMESTAMP_PARSERS,
            ),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
        )
        table = table.select(schema.names)
        for name, fmt in formats.items():
            parsed = pc.strptime(table.column(name), format=fmt, unit="us")
            table = table.set_column(schema.get_field_index(name), name, parsed)
        table = table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        message = _diagnose(data, schema, required, expect, e, header, formats)
        raise CSVSchemaError(f"{display}: {message}") from None
    if not _valid(table, required, expect or {}):
        message = _diagnose(data, schema, required, expect, None, header, formats)
        raise CSVSchemaError(f"{display}: {message}")
    return table


def _header(
    data: bytes, display: str, header_name: Callable[[str], str] | None = None
) -> list[str]:
    rows = _rows(data)
    try:
        _, header = next(rows)
    except StopIteration:
        raise CSVSchemaError(f"{display}, line 1: the file is empty (no header row)") from None
    except (csv.Error, UnicodeDecodeError) as e:
        raise CSVSchemaError(f"{display}, line 1: unreadable header: {e}") from None
    names = [h.strip() for h in header]
    return [header_name(h) for h in names] if header_name else names


def _rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line number where the record ends, fields) for each non-empty record."""
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    for fields in reader:
        if fields:
            yield reader.line_num, fields


def _valid(table: pa.Table, required: Collection[str], expect: Mapping[str, object]) -> bool:
    if any(table.column(name).null_count for name in required):
        return False
    for name, value in expect.items():
        column = table.column(name)
        same = pc.equal(column, pa.scalar(value, type=column.type))
        if column.null_count or not pc.all(same).as_py():
            return False
    return True


def _diagnose(
    data: bytes,
    schema: pa.Schema,
    required: Collection[str],
    expect: Mapping[str, object] | None,
    error: Exception | None,
    header: list[str],
    formats: Mapping[str, str],
) -> str:
    """Find the first offending line and column; pyarrow's own message lacks them.

    Runs only after a failed parse or check, so a slow pass costs nothing normally.
    """
    rows = _rows(data)
    next(rows)
    positions = {name: header.index(name) for name in schema.names}
    try:
        for line, values in rows:
            if len(values) != len(header):
                return f"line {line}: expected {len(header)} fields, found {len(values)}"
            for field in schema:
                raw = values[positions[field.name]]
                if raw == "":
                    if field.name in required:
                        return f"line {line}, column {field.name!r}: a value is required"
                    continue
                try:
                    if field.name in formats:
                        value = dt.datetime.strptime(raw, formats[field.name])
                    else:
                        value = pa.array([raw], pa.string()).cast(field.type)[0].as_py()
                except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError):
                    written = f" written {formats[field.name]}" if field.name in formats else ""
                    return (
                        f"line {line}, column {field.name!r}: {raw!r} is not a valid "
                        f"{type_name(field.type)}{written}"
                    )
                if expect and field.name in expect and value != expect[field.name]:
                    return (
                        f"line {line}, column {field.name!r}: {raw!r} where every row must "
                        f"hold {expect[field.name]}"
                    )
    except csv.Error as e:
        return f"unreadable CSV: {e}"
    return str(error) if error is not None else "the file does not match its declaration"
