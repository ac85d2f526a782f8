"""The column type names declarations use, and the Arrow type each lands as.

Table declarations (PowerSchool SIS, Google Sheets, DeansList, ADP Workforce Now) and the
CSV reader name types the same way, so one name means one landed type everywhere.
"""

from __future__ import annotations

import re

import pyarrow as pa

ARROW_TYPES: dict[str, pa.DataType] = {
    "int64": pa.int64(),
    "float64": pa.float64(),
    "string": pa.string(),
    "bool": pa.bool_(),
    "date": pa.date32(),
    "timestamp": pa.timestamp("us"),  # wall-clock or UTC as the source declares; no zone
}
_DECIMAL = re.compile(r"decimal\((\d+),\s*(\d+)\)")
# A whole number written as text, as Arrow's CSV reader accepts one for int64: an
# optional minus, then digits (no "+", no decimal point).
INTEGER = re.compile(r"-?[0-9]+")


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
