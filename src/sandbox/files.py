"""Writing what the sandbox serves: secrets, CSV and JSON files, replaced atomically."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import secrets
from pathlib import Path
from typing import Any


def secret(path: Path) -> str:
    """Read a generated secret, creating it on first use (0600 from its first byte, in a
    0700 folder)."""
    if not path.exists():
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_if_changed(path, secrets.token_urlsafe(24).encode(), private=True)
    return path.read_text().strip()


def write_if_changed(path: Path, content: bytes, private: bool = False) -> bool:
    """Replace ``path`` atomically, and only if its bytes differ (mtimes stay honest).
    A ``private`` file (a secret) is readable by its owner alone from the moment it is
    created, never after a chmod."""
    if path.exists() and path.read_bytes() == content:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600 if private else 0o644)
    with os.fdopen(fd, "wb") as f:
        f.write(content)
    tmp.replace(path)
    return True


def csv_bytes(rows: list[dict[str, Any]], columns: list[str] | None = None) -> bytes:
    columns = columns or (list(rows[0]) if rows else [])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_value(row.get(c)) for c in columns])
    return out.getvalue().encode()


def csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def json_bytes(value: object) -> bytes:
    return json.dumps(value, indent=1, default=str).encode()
