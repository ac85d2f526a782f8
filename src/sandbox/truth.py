"""Ground truth: what a correct warehouse must say, computed from the generated rows."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sandbox import vendors
from sandbox.calendar import SchoolYear

if TYPE_CHECKING:
    from sandbox.generator import District

ACTIVE = 0
CHRONIC_THRESHOLD = 0.10  # missing 10% or more of enrolled days


def compute(district: District) -> dict[str, Any]:
    truth: dict[str, Any] = {
        "seed": district.seed,
        "scale": district.scale,
        "as_of": district.as_of.isoformat(),
        "students_by_region": {},
        "students_total_by_region": {},
        "schools_by_region": {},
        "tables_by_region": {},
        "students_by_school_grade": {},
        "ada_by_school": {},
        "chronic_absence_by_school": {},
    }
    days = _school_days_to(district.year, district.as_of)
    for region, tables in district.sis.items():
        students = tables["students"]
        truth["students_total_by_region"][region] = len(students)
        truth["students_by_region"][region] = sum(s["enroll_status"] == ACTIVE for s in students)
        truth["schools_by_region"][region] = len(tables["schools"])
        truth["tables_by_region"][region] = {name: len(rows) for name, rows in tables.items()}
        grades: dict[str, dict[str, int]] = {}
        for s in students:
            if s["enroll_status"] == ACTIVE:
                per_school = grades.setdefault(str(s["schoolid"]), {})
                per_school[str(s["grade_level"])] = per_school.get(str(s["grade_level"]), 0) + 1
        truth["students_by_school_grade"][region] = grades
        ada, chronic = _attendance(tables, days)
        truth["ada_by_school"][region] = ada
        truth["chronic_absence_by_school"][region] = chronic
    truth.update(vendors.truth(district))
    return truth


def _school_days_to(year: SchoolYear, as_of: dt.date) -> list[dt.date]:
    return [d for d in year.school_days() if d <= as_of]


def _attendance(tables: dict[str, list[dict]], days: list[dt.date]):
    """Per school: ADA (present days / membership days) and the chronically absent share."""
    absent_codes = {
        c["id"] for c in tables["attendance_code"] if c["presence_status_cd"] == "Absent"
    }
    absences: dict[int, int] = {}
    for a in tables["attendance"]:
        if a["attendance_codeid"] in absent_codes:
            absences[a["studentid"]] = absences.get(a["studentid"], 0) + 1
    membership: dict[int, list[int]] = {}  # school -> [membership days, absent days]
    chronic: dict[int, list[int]] = {}  # school -> [students, chronically absent]
    for s in tables["students"]:
        enrolled = sum(1 for d in days if s["entrydate"] <= d < s["exitdate"])
        if enrolled == 0:
            continue
        missed = absences.get(s["id"], 0)
        m = membership.setdefault(s["schoolid"], [0, 0])
        m[0] += enrolled
        m[1] += missed
        c = chronic.setdefault(s["schoolid"], [0, 0])
        c[0] += 1
        c[1] += missed / enrolled >= CHRONIC_THRESHOLD
    ada = {str(k): (v[0] - v[1]) / v[0] for k, v in membership.items()}
    rate = {str(k): v[1] / v[0] for k, v in chronic.items()}
    return ada, rate
