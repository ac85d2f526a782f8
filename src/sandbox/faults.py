"""Fault switches, kept in ``faults.json`` so a CLI in another process can flip them.

  {"drop_after_bytes": {"bastion": N, "sftp": N}, "drops_left": {"sftp": K},
   "http": {"<system>": {"status": 429|500, "remaining": N}}}

Servers read the file when a connection or request starts. It is not cached: a file's
mtime moves in coarse steps (a few ms), so two switches flipped in a row could look
unchanged, and reading a few hundred bytes per connection costs nothing measurable.
Malformed files and changed host keys are faults applied to the data and keys
themselves; see ``Sandbox.change_host_key`` and ``corrupt_file``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Faults:
    def __init__(self, path: Path):
        self.path = path

    def read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return {}
        return json.loads(text or "{}")

    def _write(self, value: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(value, indent=1))
        tmp.replace(self.path)

    def byte_limit(self, kind: str) -> int | None:
        return self.read().get("drop_after_bytes", {}).get(kind)

    def drop_after_bytes(self, kind: str, limit: int | None, times: int | None = None) -> None:
        """Cut every new bastion tunnel ("bastion") or SFTP session ("sftp") after N bytes;
        with ``times``, only the next that many cuts (a transient fault that heals)."""
        value = dict(self.read())
        drops = dict(value.get("drop_after_bytes", {}))
        left = dict(value.get("drops_left", {}))
        left.pop(kind, None)
        if limit is None:
            drops.pop(kind, None)
        else:
            drops[kind] = limit
            if times is not None:
                left[kind] = times
        value["drop_after_bytes"] = drops
        value["drops_left"] = left
        self._write(value)

    def dropped(self, kind: str) -> None:
        """A server cut a connection: count it against ``times``, if one was given."""
        left = self.read().get("drops_left", {}).get(kind)
        if left is None:
            return
        if left <= 1:
            self.drop_after_bytes(kind, None)
        else:
            self.drop_after_bytes(kind, self.byte_limit(kind), left - 1)

    def http_burst(self, system: str, status: int, count: int) -> None:
        """The next ``count`` requests to ``system`` answer ``status`` (429 or 500)."""
        if status not in (429, 500, 502, 503):
            raise ValueError(f"unsupported burst status {status}")
        value = dict(self.read())
        bursts = dict(value.get("http", {}))
        bursts[system] = {"status": status, "remaining": count}
        value["http"] = bursts
        self._write(value)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)


def corrupt_file(path: Path, how: str) -> None:
    """The malformed-file fault: ``truncate`` cuts the file mid-row, ``malformed``
    puts a value that is not of its column's type into the second data row."""
    data = path.read_bytes()
    if how == "truncate":
        cut = max(1, len(data) // 2)
        while cut < len(data) and data[cut : cut + 1] in (b"\n", b","):
            cut += 1
        path.write_bytes(data[:cut])
    elif how == "malformed":
        lines = data.decode().splitlines()
        if len(lines) < 3:
            raise ValueError(f"{path} has too few rows to corrupt")
        fields = lines[2].split(",")
        fields[0] = "not-a-number"
        lines[2] = ",".join(fields)
        path.write_text("\n".join(lines) + "\n")
    else:
        raise ValueError(f"unknown corruption {how!r}; use truncate or malformed")
