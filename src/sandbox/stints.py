"""A student's enrollments of a school year ("stints"), as PowerSchool keeps them.

PowerSchool holds a student's current enrollment on ``students`` and moves each earlier
one of the year to ``reenrollments``: a student who withdraws and returns, transfers
to another school or changes grade mid-year has two or more. The generator draws them,
the SIS view shows them on a day, and the other vendors ask which school a student
attends on a day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any


def stint(
    school: int,
    grade: int,
    entry: dt.date,
    planned_exit: dt.date,
    recorded: dt.date,
    *,
    track: str | None = None,
    entrycode: str = "E1",
) -> dict[str, Any]:
    """One enrollment of a student: a school and grade from ``entry`` (inclusive) to
    ``exitdate`` (exclusive, the planned end) unless the student leaves first (``left``,
    with ``exitcode``). ``recorded`` is the day the SIS first shows it."""
    return {
        "schoolid": school,
        "grade_level": grade,
        "track": track,
        "entrydate": entry,
        "exitdate": planned_exit,
        "left": None,
        "exitcode": None,
        "entrycode": entrycode,
        "recorded": recorded,
    }


def stint_end(enrollment: dict) -> dt.date:
    """The day an enrollment ends (exclusive): when the student left, else as planned."""
    return enrollment["left"] or enrollment["exitdate"]


def stint_on(student: dict, day: dt.date) -> dict | None:
    """The enrollment ``student`` is in on ``day``, or None (not enrolled that day)."""
    for enrollment in student["stints"]:
        if enrollment["entrydate"] <= day < stint_end(enrollment):
            return enrollment
    return None


def leave(enrollment: dict, day: dt.date, code: str) -> None:
    """Ends ``enrollment`` on ``day`` (exclusive) with exit code ``code``."""
    enrollment["left"], enrollment["exitcode"] = day, code
