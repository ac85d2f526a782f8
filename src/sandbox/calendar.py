"""School-year dates: the calendar every generated table agrees on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


def school_year_of(day: dt.date) -> int:
    """The calendar year a school year starts in (July starts the fiscal year)."""
    return day.year if day.month >= 7 else day.year - 1


def yearid(start_year: int) -> int:
    """PowerSchool's yearid: 2026-27 is 36."""
    return start_year - 1990


@dataclass(frozen=True)
class SchoolYear:
    start_year: int
    first_day: dt.date
    last_day: dt.date
    holidays: frozenset[dt.date]

    @property
    def yearid(self) -> int:
        return yearid(self.start_year)

    def school_days(self) -> list[dt.date]:
        """Weekdays between the first and last day that are not holidays."""
        days, day = [], self.first_day
        while day <= self.last_day:
            if day.weekday() < 5 and day not in self.holidays:
                days.append(day)
            day += dt.timedelta(days=1)
        return days

    def quarters(self) -> list[tuple[str, dt.date, dt.date]]:
        """(store code, first day, last day) of Q1-Q4, split by school days."""
        days = self.school_days()
        size = len(days) // 4
        bounds = [days[0], days[size], days[2 * size], days[3 * size]]
        ends = [days[size - 1], days[2 * size - 1], days[3 * size - 1], days[-1]]
        return [(f"Q{i + 1}", bounds[i], ends[i]) for i in range(4)]


def school_year(start_year: int) -> SchoolYear:
    first = dt.date(start_year, 9, 3)
    last = dt.date(start_year + 1, 6, 18)
    thanksgiving = _nth_weekday(start_year, 11, 3, 4)
    holidays = {
        _nth_weekday(start_year, 10, 0, 2),  # Indigenous Peoples' Day
        dt.date(start_year, 11, 11),
        thanksgiving,
        thanksgiving + dt.timedelta(days=1),
        _nth_weekday(start_year + 1, 1, 0, 3),  # MLK Day
        _nth_weekday(start_year + 1, 2, 0, 3),  # Presidents' Day
    }
    holidays |= {dt.date(start_year, 12, 21) + dt.timedelta(days=i) for i in range(12)}
    holidays |= {_nth_weekday(start_year + 1, 4, 0, 2) + dt.timedelta(days=i) for i in range(5)}
    return SchoolYear(start_year, first, last, frozenset(holidays))


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    day = dt.date(year, month, 1)
    offset = (weekday - day.weekday()) % 7
    return day + dt.timedelta(days=offset + 7 * (n - 1))


def pay_dates(start_year: int) -> list[dt.date]:
    """Biweekly Friday pay dates across the fiscal year (July to June)."""
    day = dt.date(start_year, 7, 1)
    day += dt.timedelta(days=(4 - day.weekday()) % 7)
    end = dt.date(start_year + 1, 6, 30)
    dates = []
    while day <= end:
        dates.append(day)
        day += dt.timedelta(days=14)
    return dates
