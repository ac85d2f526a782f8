"""Ground truth: what a correct warehouse must say, computed from the generated rows.

Every figure follows PowerSchool's own definitions, written here in plain Python over
the rows the sandbox serves (never over anything teamster loads):

- A student is enrolled when ``enroll_status`` is 0. Records with status 1 were entered
  by mistake and count nowhere, attendance included.
- Attendance is PowerSchool's ADA/ADM by day: for each in-session day a student is
  enrolled (entry date inclusive, exit date exclusive) and on their track, the day's
  membership is the smaller of the student's membership share and the calendar's
  membership value, or 0 when the day's attendance code does not count for membership
  (``calculate_adm_yn`` 0); its attendance is the code's converted value for the
  student's FTE (a day with no record counts as the year's Present code), or 0 when
  the code does not count for ADA (``calculate_ada_yn`` 0). A school's ADA is its
  attendance over its membership; a student is chronically absent when membership
  minus attendance is 10% or more of their membership.
- GPA is the mean of the GPA points of a student's Y1 (final) stored grades in a
  school year, leaving out grades marked ``excludefromgpa``; quarter grades carry no
  points.
- A course enrollment with a negative section id was ended: with the student's
  enrollment at the school when it ended on that enrollment's exit date (the student
  record's, once the student has left: transferred out or graduated; or an earlier
  enrollment of the year at that school, kept in ``reenrollments``: a withdrawal
  followed by a return, a transfer to another school, a grade change); by a schedule
  change (a drop) otherwise.
- A student is counted where each enrollment was: a student who changed school has
  membership, attendance and a chronic-absence verdict at both schools, each over
  the days enrolled there.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sandbox import vendors
from sandbox.calendar import school_year_of
from sandbox.generator import ACTIVE, GRADUATED, GRADUATED_SCHOOL, INACTIVE, TRANSFERRED_OUT

if TYPE_CHECKING:
    from sandbox.generator import District

LEFT_SCHOOL = (TRANSFERRED_OUT, GRADUATED)
CHRONIC_THRESHOLD = 0.10
LEP_VALUES = ("1", "YES", "Y")

Tables = dict[str, list[dict[str, Any]]]


def compute(district: District) -> dict[str, Any]:
    truth: dict[str, Any] = {
        "seed": district.seed,
        "scale": district.scale,
        "as_of": district.as_of.isoformat(),
    }
    per_region: dict[str, dict[str, Any]] = defaultdict(dict)
    for region, tables in district.sis.items():
        students = tables["students"]
        enrolled = [s for s in students if s["enroll_status"] == ACTIVE]
        per_region["students_total_by_region"][region] = len(students)
        per_region["students_by_region"][region] = len(enrolled)
        per_region["schools_by_region"][region] = sum(
            s["school_number"] != GRADUATED_SCHOOL for s in tables["schools"]
        )
        per_region["tables_by_region"][region] = {name: len(rows) for name, rows in tables.items()}
        grades: dict[str, dict[str, int]] = {}
        for s in enrolled:
            per_school = grades.setdefault(str(s["schoolid"]), {})
            per_school[str(s["grade_level"])] = per_school.get(str(s["grade_level"]), 0) + 1
        per_region["students_by_school_grade"][region] = grades
        ada, chronic = attendance(tables, district.as_of)
        per_region["ada_by_school"][region] = ada
        per_region["chronic_absence_by_school"][region] = chronic
        per_region["gpa_by_student"][region] = gpa(tables)
        per_region["course_enrollments_by_region"][region] = course_enrollments(tables)
        per_region["flags_by_region"][region] = flags(tables)
    truth.update(per_region)
    truth.update(vendors.truth(district))
    return truth


@dataclass(frozen=True)
class StudentDay:
    """One day of one enrollment in PowerSchool's ADA/ADM: the enrollment (a
    ``students`` or ``reenrollments`` row, ``id`` the student's), the day, the
    attendance code in force (``record`` is None when nobody recorded one: the year's
    Present code applies) and the day's membership and attendance values."""

    enrollment: dict[str, Any]
    date: dt.date
    code: dict[str, Any]
    record: dict[str, Any] | None
    membership: float
    attendance: float


def student_days(tables: Tables, as_of: dt.date) -> Iterator[StudentDay]:
    """Every day of enrollment through ``as_of``, by PowerSchool's ADA/ADM rules (see
    the module docstring); records set inactive (enroll_status 1) have none."""
    codes = {c["id"]: c for c in tables["attendance_code"]}
    present = {  # found by its description, as PowerSchool's own ADA views do
        (c["schoolid"], c["yearid"]): c["id"]
        for c in codes.values()
        if c["description"] == "Present"
    }
    conversion = {
        (i["fteid"], i["attendance_conversion_id"], i["input_value"]): i["attendance_value"]
        for i in tables["attendance_conversion_items"]
        if i["conversion_mode_code"] == "codeday"
    }
    bells = {b["id"]: b["attendance_conversion_id"] for b in tables["bell_schedule"]}
    years = [t for t in tables["terms"] if t["isyearrec"] == 1]
    days_by_school: dict[int, list[tuple[dict, int]]] = defaultdict(list)
    for day in tables["calendar_day"]:
        if day["insession"] == 1 and day["date_value"] <= as_of:
            yearid = next(
                t["yearid"]
                for t in years
                if t["schoolid"] == day["schoolid"]
                and t["firstday"] <= day["date_value"] <= t["lastday"]
            )
            days_by_school[day["schoolid"]].append((day, yearid))
    latest: dict[tuple[int, dt.date], dict] = {}
    for record in tables["attendance"]:
        if record["att_mode_code"] != "ATT_ModeDaily":
            continue
        key = (record["studentid"], record["att_date"])
        if key not in latest or _later(record, latest[key]):
            latest[key] = record
    valid = {s["id"] for s in tables["students"] if s["enroll_status"] != INACTIVE}
    enrollments = [s for s in tables["students"] if s["id"] in valid] + [
        r | {"id": r["studentid"]} for r in tables["reenrollments"] if r["studentid"] in valid
    ]
    for e in enrollments:
        for day, yearid in days_by_school.get(e["schoolid"], []):
            if not e["entrydate"] <= day["date_value"] < e["exitdate"]:
                continue
            if e["track"] is not None and day[e["track"].lower()] != 1:
                continue  # off track: no membership that day
            record = latest.get((e["id"], day["date_value"]))
            code_id = record["attendance_codeid"] if record else present[(e["schoolid"], yearid)]
            code = codes[code_id]
            membership = (
                0.0
                if code["calculate_adm_yn"] == 0
                else min(e["membershipshare"], day["membershipvalue"])
            )
            attended = (
                0.0
                if code["calculate_ada_yn"] == 0
                else conversion[(e["fteid"], bells[day["bell_schedule_id"]], code_id)]
            )
            yield StudentDay(e, day["date_value"], code, record, membership, attended)


def is_tardy(code: dict[str, Any]) -> bool:
    """A late arrival: a code that counts as present and that PowerSchool describes as a
    tardy (excused or not)."""
    return code["presence_status_cd"] == "Present" and code["description"].startswith("Tardy")


def chronically_absent(membership: float, attended: float) -> bool:
    """Missing 10% or more of the membership (which must be positive)."""
    return (membership - attended) / membership >= CHRONIC_THRESHOLD


def _zeros() -> list[float]:
    return [0.0, 0.0]


@dataclass
class SchoolYearAttendance:
    """One school's sums over a school year: membership and attendance days, and per
    student (by id) their own two sums, for chronic absence."""

    membership: float = 0.0
    attendance: float = 0.0
    students: dict[int, list[float]] = field(default_factory=lambda: defaultdict(_zeros))

    @property
    def with_membership(self) -> int:
        return sum(m > 0 for m, _ in self.students.values())

    @property
    def chronically_absent(self) -> int:
        return sum(m > 0 and chronically_absent(m, a) for m, a in self.students.values())


def school_attendance(
    tables: Tables, as_of: dt.date
) -> dict[tuple[int, int], SchoolYearAttendance]:
    """Per (school number, school year's fall year): PowerSchool's ADA/ADM sums."""
    out: dict[tuple[int, int], SchoolYearAttendance] = defaultdict(SchoolYearAttendance)
    for day in student_days(tables, as_of):
        sums = out[(day.enrollment["schoolid"], school_year_of(day.date))]
        sums.membership += day.membership
        sums.attendance += day.attendance
        student = sums.students[day.enrollment["id"]]
        student[0] += day.membership
        student[1] += day.attendance
    return dict(out)


def attendance(tables: Tables, as_of: dt.date) -> tuple[dict[str, float], dict[str, float]]:
    """Per school: ADA (attendance / membership) and the chronically absent share, for
    the school year ``as_of`` is in."""
    year = school_year_of(as_of)
    ada, rate = {}, {}
    for (school, fall), sums in school_attendance(tables, as_of).items():
        if fall != year:
            continue
        if sums.membership > 0:
            ada[str(school)] = sums.attendance / sums.membership
        if sums.with_membership:
            rate[str(school)] = sums.chronically_absent / sums.with_membership
    return ada, rate


def _later(a: dict, b: dict) -> bool:
    """The record PowerSchool shows for a day: the latest change, then the highest dcid."""
    stamp_a, stamp_b = a["transaction_date"], b["transaction_date"]
    if stamp_a != stamp_b:
        return stamp_b is None or (stamp_a is not None and stamp_a > stamp_b)
    return a["dcid"] > b["dcid"]


def academic_year(termid: int) -> int:
    """The fall year of a term id's school year (PowerSchool: yearid is termid // 100,
    2026-27 is 36); an ended enrollment's negative term id counts as its own."""
    return abs(termid) // 100 + 1990


def y1_finals(tables: Tables) -> dict[tuple[int, int], list[dict[str, Any]]]:
    """Per (fall year, student id): the student's Y1 (final) stored grades that year."""
    out: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for g in tables["storedgrades"]:
        if g["storecode"] == "Y1":
            out[(academic_year(g["termid"]), g["studentid"])].append(g)
    return dict(out)


def counts_toward_gpa(grade: dict[str, Any]) -> bool:
    """A Y1 final of a course not excluded from GPA."""
    return grade["storecode"] == "Y1" and grade["excludefromgpa"] == 0


def gpa(tables: Tables) -> dict[str, dict[str, float]]:
    """Per school year (fall year) and student number: the mean GPA points of Y1 grades."""
    numbers = {s["id"]: s["student_number"] for s in tables["students"]}
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (year, student), finals in y1_finals(tables).items():
        points = [g["gpa_points"] for g in finals if counts_toward_gpa(g)]
        if points:
            out[str(year)][str(numbers[student])] = sum(points) / len(points)
    return dict(out)


def ended_enrollments(tables: Tables) -> set[tuple[int, int, dt.date]]:
    """(student id, school, exit date) of each earlier enrollment of the year that
    ended (``reenrollments``): a withdrawal, a transfer, a grade change."""
    return {(r["studentid"], r["schoolid"], r["exitdate"]) for r in tables["reenrollments"]}


def roster_end(
    cc: dict[str, Any], student: dict[str, Any], ended: set[tuple[int, int, dt.date]]
) -> str:
    """How a course enrollment stands: ``running``; ended with the student's enrollment
    at the school (``left_school``: on the exit date of the current record, the student
    having left, or of an earlier enrollment in ``ended``); or ``dropped`` otherwise."""
    if cc["sectionid"] > 0:
        return "running"
    left = (student["enroll_status"] in LEFT_SCHOOL and cc["dateleft"] == student["exitdate"]) or (
        cc["studentid"],
        cc["schoolid"],
        cc["dateleft"],
    ) in ended
    return "left_school" if left else "dropped"


def course_enrollments(tables: Tables) -> dict[str, int]:
    """Course enrollments that run, were dropped, or ended with the student's
    enrollment at the school (the student left it, or left it for another)."""
    students = {s["id"]: s for s in tables["students"]}
    ended = ended_enrollments(tables)
    counts = {"running": 0, "dropped": 0, "left_school": 0}
    for cc in tables["cc"]:
        counts[roster_end(cc, students[cc["studentid"]], ended)] += 1
    return counts


@dataclass(frozen=True)
class Flags:
    """The filters dashboards use, read from where PowerSchool keeps them."""

    lep: bool
    has_504: bool
    has_iep: bool


def student_flags(tables: Tables) -> dict[int, Flags]:
    """Per student dcid: limited English proficient (``lep_status`` 1, Y or YES in any
    case and spacing), a 504 plan (the district's ``c_504_status`` "1" or the state's
    ``pid_504_tf``), an IEP (any special-education classification but none or N)."""
    core = {r["studentsdcid"]: r for r in tables["studentcorefields"]}
    nj = {r["studentsdcid"]: r for r in tables["s_nj_stu_x"]}
    user = {r["studentsdcid"]: r for r in tables["u_studentsuserfields"]}
    out = {}
    for s in tables["students"]:
        d = s["dcid"]
        out[d] = Flags(
            lep=(core[d]["lep_status"] or "").strip().upper() in LEP_VALUES,
            has_504=user[d]["c_504_status"] == "1" or nj[d]["pid_504_tf"] == 1,
            has_iep=(nj[d]["specialed_classification"] or "") not in ("", "N"),
        )
    return out


def flags(tables: Tables) -> dict[str, int]:
    """Enrolled students flagged as English learners, with a 504 plan, with an IEP."""
    every = student_flags(tables)
    counts = {"lep": 0, "504": 0, "iep": 0}
    for s in tables["students"]:
        if s["enroll_status"] == ACTIVE:
            f = every[s["dcid"]]
            counts["lep"] += f.lep
            counts["504"] += f.has_504
            counts["iep"] += f.has_iep
    return counts
