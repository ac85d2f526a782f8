"""Comparing JSON an API serves, and what a client reads of it, with a vendor reference.

A reference names each member by its path (``data[].IssueTS.date``) and JSON type
(``string``, ``integer|string``, ``map`` for an object of the form's own names whose
values are text). The DeansList and Enrollment fidelity tests share these.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", dict: "object", list: "array"}[type(value)]


def fits(value: Any, kind: str) -> bool:
    """Whether ``value`` is of the reference's ``kind`` (null always fits)."""
    actual = json_type(value)
    if kind == "map":  # the form's own member names; each answer text or null
        return actual == "null" or (
            actual == "object" and all(json_type(v) in ("string", "null") for v in value.values())
        )
    allowed = set(kind.split("|")) | {"null"}
    if "number" in allowed:
        allowed.add("integer")
    if "rows" in allowed:
        allowed.add("array")
    return actual in allowed


def walk(
    value: Any, maps: frozenset[str] | set[str] = frozenset(), path: str = ""
) -> Iterator[tuple[str, Any]]:
    """(path, value) for every member of a JSON value, depth first; array elements get
    ``[]``; a member named in ``maps`` is one value, not walked."""
    if isinstance(value, dict) and path not in maps:
        for key, member in value.items():
            inner = f"{path}.{key}" if path else key
            yield inner, member
            yield from walk(member, maps, inner)
    elif isinstance(value, list):
        for element in value:
            yield f"{path}[]", element
            yield from walk(element, maps, f"{path}[]")


def unreal(served: list[tuple[str, Any]], reference: dict[str, str]) -> dict[str, str]:
    """The served paths the reference lacks, or whose value is of another type."""
    wrong: dict[str, str] = {}
    for path, value in served:
        if path not in reference:
            wrong[path] = "not a field of the real API"
        elif not fits(value, reference[path]):
            wrong[path] = f"{json_type(value)}, the real API sends {reference[path]}"
    return wrong


class Recording(dict):
    """A JSON object that records, in ``log``, every member looked up by name (members
    reached by iterating keep their path, without being recorded as read by name)."""

    def __init__(self, value: dict, log: set[str], path: str = ""):
        super().__init__(value)
        self._log, self._path = log, path

    def _inner(self, key: Any) -> str:
        return f"{self._path}.{key}" if self._path else str(key)

    def _wrap(self, key: Any, value: Any) -> Any:
        if isinstance(value, dict):
            return Recording(value, self._log, self._inner(key))
        if isinstance(value, list):
            return [
                Recording(v, self._log, f"{self._inner(key)}[]") if isinstance(v, dict) else v
                for v in value
            ]
        return value

    def __getitem__(self, key: Any) -> Any:
        self._log.add(self._inner(key))
        return self._wrap(key, super().__getitem__(key))

    def get(self, key: Any, default: Any = None) -> Any:
        self._log.add(self._inner(key))
        return self._wrap(key, super().get(key, default)) if key in self.keys() else default

    def __contains__(self, key: Any) -> bool:
        self._log.add(self._inner(key))
        return super().__contains__(key)

    def values(self) -> Any:
        return [self._wrap(k, v) for k, v in self.items()]
