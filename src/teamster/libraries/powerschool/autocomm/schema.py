"""The AutoComm file format: tab-delimited text with a header row.

PowerSchool's AutoComm imports map fields by the header's names; dates are
``MM/DD/YYYY`` (PowerSchool's US date format), booleans ``1``/``0``, nulls empty.
A value holding a tab or a line break would shift every later field, so it is an
error naming the file, line and column rather than a quietly broken import.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow as pa


class AutoCommRenderError(ValueError):
    """A value cannot be written into a tab-delimited file as it is."""


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.strftime("%m/%d/%Y %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%m/%d/%Y")
    return str(value)


def render(table: pa.Table, path: Path, display_name: str) -> int:
    """Write ``table`` to ``path`` in the AutoComm format; returns the data rows."""
    names = table.column_names
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("\t".join(names) + "\n")
        for line, row in enumerate(table.to_pylist(), start=2):
            cells = []
            for name in names:
                text = _cell(row[name])
                if "\t" in text or "\n" in text or "\r" in text:
                    raise AutoCommRenderError(
                        f"{display_name}, line {line}, column {name!r}: "
                        "the value holds a tab or a line break"
                    )
                cells.append(text)
            f.write("\t".join(cells) + "\n")
    return table.num_rows
