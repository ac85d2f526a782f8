"""Compare a warehouse relation with its ``Expected`` rows: every key, every value."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

import duckdb

from sandbox.expected import Expected

SHOWN = 5  # differences quoted per relation; the count says how many there are


def _same(actual: Any, expected: Any, tolerance: float) -> bool:
    if isinstance(expected, float) or isinstance(actual, float | Decimal):
        if actual is None or expected is None:
            return actual is expected
        return math.isclose(float(actual), float(expected), rel_tol=0, abs_tol=tolerance)
    if isinstance(expected, dt.datetime) and isinstance(actual, dt.datetime):
        return actual.replace(tzinfo=None) == expected.replace(tzinfo=None)
    return actual == expected


def differences(con: duckdb.DuckDBPyConnection, expected: Expected) -> list[str]:
    """What differs between the relation and the expectation, in words; [] if nothing.

    Rows are matched by key: keys only the warehouse has, keys only the truth has, and
    for shared keys each column whose value differs."""
    select = ", ".join(expected.columns)
    sql = f"select {select} from {expected.relation}"
    if expected.where:
        sql += f" where {expected.where}"
    rows = con.execute(sql).fetchall()
    k = expected.key
    out: list[str] = []
    actual: dict[tuple, tuple] = {}
    for row in rows:
        key = tuple(row[:k])
        if key in actual:
            out.append(f"{expected.relation}: key {key} appears more than once")
        actual[key] = tuple(row)
    truth: dict[tuple, tuple] = {}
    for row in expected.rows:
        key = tuple(row[:k])
        assert key not in truth, f"{expected.relation}: the truth repeats key {key}"
        truth[key] = tuple(row)
    missing = sorted(set(truth) - set(actual), key=repr)
    unexpected = sorted(set(actual) - set(truth), key=repr)
    if missing:
        out.append(
            f"{expected.relation}: {len(missing)} expected rows missing, e.g. {missing[:SHOWN]}"
        )
    if unexpected:
        out.append(
            f"{expected.relation}: {len(unexpected)} rows not in the truth, "
            f"e.g. {unexpected[:SHOWN]}"
        )
    wrong = []
    for key in sorted(set(truth) & set(actual), key=repr):
        for name, a, e in zip(expected.columns[k:], actual[key][k:], truth[key][k:], strict=True):
            if not _same(a, e, expected.tolerance):
                wrong.append(f"{key} {name}: warehouse {a!r}, truth {e!r}")
    if wrong:
        out.append(f"{expected.relation}: {len(wrong)} values differ, e.g. {wrong[:SHOWN]}")
    return out


def assert_matches(con: duckdb.DuckDBPyConnection, expectations: list[Expected]) -> None:
    """Every relation equals its truth; one failure lists them all."""
    problems = [line for e in expectations for line in differences(con, e)]
    empty = [e.relation for e in expectations if not e.rows]
    assert not problems, "\n".join(problems)
    assert not empty, f"expectations with no rows prove nothing: {empty}"
