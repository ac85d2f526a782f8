"""What the vendor modules share: the time of day an event is stamped with."""

from __future__ import annotations

import datetime as dt


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def cutoff(as_of: dt.date) -> dt.datetime:
    """The first instant after ``as_of``: an event at or after it has not happened yet."""
    return at(as_of + dt.timedelta(days=1), 0)
