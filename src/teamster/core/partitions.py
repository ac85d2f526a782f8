"""Partitions of ingested tables: a window on one column, named like a Hive folder.

Fiscal years start on July 1 (the school year's books); months are calendar months,
for tables too big to replace a year at a time. A partition key is the first day of
its window (``2026-07-01`` is fiscal year 2026-27, or July 2026).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from dagster import DagsterInstance, DynamicPartitionsDefinition, TimeWindowPartitionsDefinition

FISCAL_YEAR_CRON = "0 0 1 7 *"
MONTH_CRON = "0 0 1 * *"
Grain = Literal["fiscal_year", "month"]
PARTITION_FMT = "%Y-%m-%d"


@dataclass(frozen=True)
class Partition:
    """Rows whose ``column`` is in [start, end), or equals ``value``; lands under
    ``<name>=<key>/``. A window with no ``start`` is a table's first partition: it also
    holds every earlier row and every row whose column is NULL, so no row is left out
    of all partitions."""

    name: str
    key: str
    column: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    value: object = None

    def where(self, quoted_column: str) -> tuple[str, list[object]]:
        """A SQL predicate (``?`` placeholders) selecting exactly this partition's rows."""
        if self.value is not None:
            return f"{quoted_column} = ?", [self.value]
        if self.start is None:
            return f"({quoted_column} < ? OR {quoted_column} IS NULL)", [self.end]
        return f"{quoted_column} >= ? AND {quoted_column} < ?", [self.start, self.end]

    @property
    def folder(self) -> str:
        return f"{self.name}={self.key}"


def fiscal_year_partitions(start: dt.date, timezone: str) -> TimeWindowPartitionsDefinition:
    """One partition per fiscal year from ``start``, including the one in progress."""
    if (start.month, start.day) != (7, 1):
        raise ValueError(f"fiscal years start on July 1, not {start}")
    return _windows(start, FISCAL_YEAR_CRON, timezone)


def month_window(key: str, column: str) -> Partition:
    """The rows of monthly partition ``key`` (the month's first day) on ``column``."""
    start = dt.datetime.strptime(key, PARTITION_FMT)
    if start.day != 1:
        raise ValueError(f"{key!r} is not a monthly partition key")
    end = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return Partition("month", key, column, start=start, end=end)


def month_partitions(start: dt.date, timezone: str) -> TimeWindowPartitionsDefinition:
    """One partition per calendar month from ``start``, including the one in progress."""
    if start.day != 1:
        raise ValueError(f"months start on the 1st, not {start}")
    return _windows(start, MONTH_CRON, timezone)


def _windows(start: dt.date, cron: str, timezone: str) -> TimeWindowPartitionsDefinition:
    # end_offset=1: the window in progress is a partition too (this year's attendance)
    return TimeWindowPartitionsDefinition(
        start=dt.datetime.combine(start, dt.time()),
        cron_schedule=cron,
        fmt=PARTITION_FMT,
        timezone=timezone,
        end_offset=1,
    )


def time_partitions(grain: Grain, start: dt.date, timezone: str) -> TimeWindowPartitionsDefinition:
    """The partitions definition of a table partitioned by ``grain``, from ``start``."""
    if grain == "fiscal_year":
        return fiscal_year_partitions(start, timezone)
    return month_partitions(start, timezone)


def time_window(grain: Grain, key: str, column: str, first_key: str | None = None) -> Partition:
    """The rows of partition ``key`` of a table partitioned by ``grain`` on ``column``;
    the partition ``first_key`` also holds all earlier rows and those with no date."""
    if grain == "fiscal_year":
        window = fiscal_year_window(key, column)
    else:
        window = month_window(key, column)
    if key == first_key:
        return dataclasses.replace(window, start=None)
    return window


def by_value(name: str, key: str, column: str, value: object) -> Partition:
    """A partition that is one value of a column (a published action's id, say)."""
    return Partition(name, key, column, value=value)


def fiscal_year_window(key: str, column: str) -> Partition:
    """The rows of fiscal-year partition ``key`` (its July 1) on ``column``."""
    start = dt.datetime.strptime(key, PARTITION_FMT)
    if (start.month, start.day) != (7, 1):
        raise ValueError(f"{key!r} is not a fiscal-year partition key")
    return Partition(
        "fiscal_year", key, column, start=start, end=start.replace(year=start.year + 1)
    )


def add_new_partitions(
    instance: DagsterInstance, partitions: DynamicPartitionsDefinition, keys: Iterable[str]
) -> list[str]:
    """Add the ``keys`` (a vendor's pay dates, published forms) that ``partitions`` does
    not hold yet, in the order given; returns them."""
    known = set(instance.get_dynamic_partitions(partitions.name))
    new = [k for k in dict.fromkeys(keys) if k not in known]
    if new:
        instance.add_dynamic_partitions(partitions.name, new)
    return new


def adding_partitions(
    instance: DagsterInstance, partitions: DynamicPartitionsDefinition, keys: Iterable[str]
) -> Callable[[Any], dict[str, object]]:
    """A listing asset's ``after_load``: once the listing has landed, its keys become
    partitions of the asset it lists for (and its metadata says how many were new)."""
    keys = list(keys)

    def after_load(_: Any) -> dict[str, object]:
        return {"new_partitions": len(add_new_partitions(instance, partitions, keys))}

    return after_load
