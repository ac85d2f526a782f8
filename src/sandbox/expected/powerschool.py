"""The PowerSchool marts, the student filters and the AutoComm extracts, row by row.

Every row is computed from the tables each region's PowerSchool serves (``served``:
the database, or for an SFTP region its export, which lacks some tables and one
column) by PowerSchool's own definitions, which ``sandbox.truth`` states and
implements once: enrollment status, ADA/ADM per day, Y1 finals and GPA, ended course
enrollments, the LEP/504/IEP flags. kipptaf adds the region (``code_location``) and
keys ``<region>-<id>`` so the regions never collide.

The definitions this module adds:

- An enrollment is a span of days: a student record's current enrollment or a
  re-enrollment (an earlier year). A record entered by mistake (``enroll_status`` 1)
  has none, and neither has the placeholder PowerSchool moves a graduate to (the
  Graduated Students school, entry date equal to exit date: not one day long). Its
  school year is the one its entry date falls in (July to June). A student's current
  enrollment is their record's, when the record is in this school year and they are
  enrolled (status 0).
- A day's code is the attendance record PowerSchool shows (``truth.student_days``);
  with none, the student counts as present and the mart leaves the code, its
  description and presence status empty. Present and absent are the code's presence
  status; tardy is a code PowerSchool describes as a tardy.
- A stored grade is a final (``storedgrades``: quarters and the Y1), with the section
  it was stored from (section 0: none, a grade from history). A gradebook grade
  (``pgfinalgrades``) is in progress while the student's enrollment in its section
  runs (PowerSchool keeps the gradebook rows of a dropped section, and of a student
  who left, but they are nobody's grade now) and a teacher has graded it (``--`` is
  "not yet": no grade). It is placed by its section (school, term, course) and the
  student's grade level, and carries the GPA points of its letter on the district's
  scale (``sis.gpa_points``).
- GPA per student and school year is ``truth.gpa``; its ``courses`` are the Y1 finals
  it averages and ``earned_credit_hours`` every Y1 final's earned credit (a course
  left out of GPA still earns credit).
- A staff account (``users``) sits at its home school with that school's SchoolStaff
  record: ``status`` 1 active, 2 inactive; ``staffstatus`` 1 is a teacher.
- AutoComm web ids: a name part is the name decomposed (NFD), lower-cased and cut to
  ``a-z0-9``; the student's is the first character of the first-name part, the
  last-name part and the student number; the family's adds ``.family``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from sandbox import sis, truth
from sandbox.calendar import school_year_of
from sandbox.expected import Expected
from sandbox.generator import ACTIVE, GRADUATED_SCHOOL, INACTIVE
from sandbox.vendors import iready
from teamster.core.regions import SFTP_SIS_REGIONS

if TYPE_CHECKING:
    from sandbox.generator import District

Tables = dict[str, list[dict[str, Any]]]
NOT_A_GRADE = "--"  # PowerSchool's gradebook shows this before a teacher grades
STUDENT_FILTERS = "kipptaf_reporting.int_reporting__student_filters"
AUTOCOMM_STUDENTS = "kipptaf_extracts.rpt_powerschool__autocomm_students"
AUTOCOMM_TEACHERS = "kipptaf_extracts.rpt_powerschool__autocomm_teachers"
AUTOCOMM_STUDENTS_IEP = "kipptaf_extracts.rpt_powerschool__autocomm_students_iep"


def served(district: District, region: str) -> Tables:
    """The region's PowerSchool tables as teamster can read them: an SFTP export has no
    file for some tables and lacks a district-defined column (``sandbox.sis``)."""
    tables = district.sis[region]
    if region not in SFTP_SIS_REGIONS:
        return tables
    out: Tables = {}
    for name, rows in tables.items():
        if name in sis.NOT_EXPORTED:
            out[name] = []
            continue
        missing = sis.EXPORT_MISSING.get(name, set())
        out[name] = [{k: (None if k in missing else v) for k, v in r.items()} for r in rows]
    return out


def name_part(name: str | None) -> str:
    """A name as a web id holds it: decomposed, lower case, letters a-z and digits."""
    return re.sub("[^a-z0-9]", "", unicodedata.normalize("NFD", name or "").lower())


def student_web_id(first_name: str | None, last_name: str | None, number: int) -> str:
    """The first character left of the first name, what is left of the last name, the
    student number (the rule src/dbt/kipptaf/macros/web_id_part.sql implements)."""
    return name_part(first_name)[:1] + name_part(last_name) + str(number)


def _key(region: str, *parts: object) -> str:
    return "-".join([region, *(str(p) for p in parts)])


def _is_enrollment(e: dict[str, Any]) -> bool:
    return e["schoolid"] != GRADUATED_SCHOOL and e["entrydate"] < e["exitdate"]


def _current(s: dict[str, Any], year: int) -> bool:
    return s["enroll_status"] == ACTIVE and school_year_of(s["entrydate"]) == year


class _Region:
    """One region's served tables, indexed the ways the marts join them."""

    def __init__(self, district: District, region: str):
        self.name = region
        self.year = district.year.start_year
        self.as_of = district.as_of
        self.t = served(district, region)
        self.students = {s["id"]: s for s in self.t["students"]}
        self.schools = {s["school_number"]: s for s in self.t["schools"]}
        self.flags = truth.student_flags(self.t)
        self.ended = truth.ended_enrollments(self.t)
        self.sections = {s["id"]: s for s in self.t["sections"]}
        self.courses = {c["course_number"]: c for c in self.t["courses"]}
        staff = {m["id"]: m for m in self.t["schoolstaff"]}
        self.users = {u["dcid"]: u for u in self.t["users"]}
        self.teacher_of_staff = {i: self.users[m["users_dcid"]] for i, m in staff.items()}
        self.home = {
            m["users_dcid"]: m
            for m in self.t["schoolstaff"]
            if m["schoolid"] == self.users[m["users_dcid"]]["homeschoolid"]
        }
        self.enrolled = [s for s in self.t["students"] if s["enroll_status"] == ACTIVE]
        self.current = [s for s in self.t["students"] if _current(s, self.year)]

    def school_name(self, number: int) -> str | None:
        school = self.schools.get(number)
        return school["name"] if school else None


def _regions(district: District) -> list[_Region]:
    return [_Region(district, region) for region in district.sis]


# --- dimensions ---------------------------------------------------------------------


def dim_schools(regions: list[_Region]) -> Expected:
    rows = [
        (
            _key(r.name, s["school_number"]),
            r.name,
            s["school_number"],
            s["name"],
            s["abbreviation"],
            s["low_grade"],
            s["high_grade"],
            s["schoolcity"],
            s["schoolstate"],
        )
        for r in regions
        for s in r.t["schools"]
        if s["school_number"] != GRADUATED_SCHOOL
    ]
    return Expected(
        "kipptaf.dim_schools",
        (
            "school_key",
            "code_location",
            "school_number",
            "school_name",
            "school_abbreviation",
            "low_grade",
            "high_grade",
            "city",
            "state",
        ),
        1,
        rows,
        note="every school but PowerSchool's Graduated Students school",
    )


def dim_students(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        for s in r.enrolled:
            school = r.schools[s["schoolid"]]
            f = r.flags[s["dcid"]]
            rows.append(
                (
                    _key(r.name, s["student_number"]),
                    r.name,
                    s["student_number"],
                    s["state_studentnumber"],
                    s["first_name"],
                    s["last_name"],
                    s["grade_level"],
                    s["schoolid"],
                    school["name"],
                    school["abbreviation"],
                    s["entrydate"],
                    s["dob"],
                    s["gender"],
                    f.has_iep,
                    f.has_504,
                    f.lep,
                )
            )
    return Expected(
        "kipptaf.dim_students",
        (
            "student_key",
            "code_location",
            "student_number",
            "state_student_number",
            "first_name",
            "last_name",
            "grade_level",
            "school_number",
            "school_name",
            "school_abbreviation",
            "entry_date",
            "date_of_birth",
            "gender",
            "has_iep",
            "has_504",
            "is_lep",
        ),
        1,
        rows,
        note="students enrolled now (enroll_status 0), flags by truth.student_flags",
    )


def dim_teachers(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        for u in r.t["users"]:
            staff = r.home.get(u["dcid"])
            status = staff["status"] if staff else None
            staff_status = staff["staffstatus"] if staff else None
            rows.append(
                (
                    _key(r.name, u["dcid"]),
                    r.name,
                    u["dcid"],
                    u["teachernumber"],
                    u["first_name"],
                    u["last_name"],
                    u["loginid"],
                    u["email_addr"],
                    u["homeschoolid"],
                    r.school_name(u["homeschoolid"]),
                    status,
                    staff_status,
                    staff_status == 1,
                    status == 1,
                )
            )
    return Expected(
        "kipptaf.dim_teachers",
        (
            "teacher_key",
            "code_location",
            "users_dcid",
            "teacher_number",
            "first_name",
            "last_name",
            "login_id",
            "email",
            "school_number",
            "school_name",
            "status",
            "staff_status",
            "is_teacher",
            "is_active",
        ),
        1,
        rows,
        note="every staff account at its home school's SchoolStaff record",
    )


# --- enrollment and attendance --------------------------------------------------------


def fct_enrollments(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        valid = {i for i, s in r.students.items() if s["enroll_status"] != INACTIVE}
        spans = [(s, s["id"], s["enroll_status"], "students") for s in r.t["students"]] + [
            (e, e["studentid"], None, "reenrollments") for e in r.t["reenrollments"]
        ]
        for e, student_id, status, source in spans:
            if student_id not in valid or not _is_enrollment(e):
                continue
            number = r.students[student_id]["student_number"]
            rows.append(
                (
                    _key(r.name, number, e["schoolid"], e["entrydate"].isoformat()),
                    r.name,
                    _key(r.name, number),
                    student_id,
                    number,
                    e["schoolid"],
                    r.school_name(e["schoolid"]),
                    e["grade_level"],
                    e["entrydate"],
                    e["exitdate"],
                    e["entrycode"],
                    e["exitcode"],
                    school_year_of(e["entrydate"]),
                    source == "students" and _current(e, r.year),
                    status,
                    status == ACTIVE,
                    source,
                )
            )
    return Expected(
        "kipptaf.fct_enrollments",
        (
            "enrollment_key",
            "code_location",
            "student_key",
            "student_id",
            "student_number",
            "school_number",
            "school_name",
            "grade_level",
            "entry_date",
            "exit_date",
            "entry_code",
            "exit_code",
            "academic_year",
            "is_current",
            "enroll_status",
            "is_enrolled",
            "enrollment_source",
        ),
        1,
        rows,
        note="a re-enrollment has no enroll_status of its own: null, not enrolled",
    )


def fct_daily_attendance(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        for day in truth.student_days(r.t, r.as_of):
            e, code, recorded = day.enrollment, day.code, day.record is not None
            number = r.students[e["id"]]["student_number"]
            rows.append(
                (
                    r.name,
                    number,
                    day.date,
                    _key(r.name, number),
                    e["id"],
                    e["schoolid"],
                    e["grade_level"],
                    school_year_of(day.date),
                    day.membership,
                    day.attendance,
                    code["att_code"] if recorded else None,
                    code["description"] if recorded else None,
                    code["presence_status_cd"] if recorded else None,
                    code["presence_status_cd"] == "Present",
                    code["presence_status_cd"] == "Absent",
                    truth.is_tardy(code),
                )
            )
    return Expected(
        "kipptaf.fct_daily_attendance",
        (
            "code_location",
            "student_number",
            "calendar_date",
            "student_key",
            "student_id",
            "school_number",
            "grade_level",
            "academic_year",
            "membership_value",
            "attendance_value",
            "attendance_code",
            "attendance_code_description",
            "presence_status",
            "is_present",
            "is_absent",
            "is_tardy",
        ),
        3,
        rows,
        note="truth.student_days through the district's date",
    )


def fct_school_attendance(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        for (school, year), sums in truth.school_attendance(r.t, r.as_of).items():
            students, chronic = sums.with_membership, sums.chronically_absent
            rows.append(
                (
                    _key(r.name, school),
                    year,
                    r.name,
                    school,
                    r.school_name(school),
                    sums.membership,
                    sums.attendance,
                    sums.membership - sums.attendance,
                    sums.attendance / sums.membership if sums.membership else None,
                    students,
                    chronic,
                    chronic / students if students else None,
                )
            )
    return Expected(
        "kipptaf.fct_school_attendance",
        (
            "school_key",
            "academic_year",
            "code_location",
            "school_number",
            "school_name",
            "membership_days",
            "attendance_days",
            "absent_days",
            "ada",
            "students",
            "chronically_absent_students",
            "chronic_absence_rate",
        ),
        2,
        rows,
        note="truth.school_attendance: PowerSchool's ADA/ADM and chronic absence",
    )


def _year_days(r: _Region) -> dict[int, list[float]]:
    """Per student id: membership and attendance days this school year."""
    out: dict[int, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for day in truth.student_days(r.t, r.as_of):
        if school_year_of(day.date) == r.year:
            out[day.enrollment["id"]][0] += day.membership
            out[day.enrollment["id"]][1] += day.attendance
    return out


# --- grades -------------------------------------------------------------------------


def fct_grades(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        for g in r.t["storedgrades"]:
            s = r.students[g["studentid"]]
            rows.append(
                (
                    _key(r.name, "final", g["dcid"]),
                    r.name,
                    _key(r.name, s["student_number"]),
                    s["student_number"],
                    g["schoolid"],
                    truth.academic_year(g["termid"]),
                    g["termid"],
                    g["storecode"],
                    g["grade_level"],
                    g["course_number"],
                    g["course_name"],
                    g["sectionid"] or None,
                    "final",
                    g["grade"],
                    g["percent"],
                    g["gpa_points"],
                    g["earnedcrhrs"],
                    g["datestored"],
                )
            )
        running = {(cc["studentid"], cc["sectionid"]) for cc in r.t["cc"] if cc["sectionid"] > 0}
        for p in r.t["pgfinalgrades"]:
            if p["grade"] == NOT_A_GRADE or (p["studentid"], p["sectionid"]) not in running:
                continue
            s = r.students[p["studentid"]]
            section = r.sections[p["sectionid"]]
            rows.append(
                (
                    _key(r.name, "in_progress", p["dcid"]),
                    r.name,
                    _key(r.name, s["student_number"]),
                    s["student_number"],
                    section["schoolid"],
                    truth.academic_year(section["termid"]),
                    section["termid"],
                    p["finalgradename"],
                    s["grade_level"],
                    section["course_number"],
                    r.courses[section["course_number"]]["course_name"],
                    section["id"],
                    "in_progress",
                    p["grade"],
                    p["percent"],
                    sis.gpa_points(p["grade"]),
                    None,
                    p["lastgradeupdate"].date(),
                )
            )
    return Expected(
        "kipptaf.fct_grades",
        (
            "grade_key",
            "code_location",
            "student_key",
            "student_number",
            "school_number",
            "academic_year",
            "term_id",
            "term",
            "grade_level",
            "course_number",
            "course_name",
            "section_id",
            "grade_type",
            "grade",
            "percent",
            "gpa_points",
            "earned_credit_hours",
            "grade_date",
        ),
        1,
        rows,
        note="stored grades as stored; gradebook grades on the district's scale",
    )


def fct_gpa(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        for (year, student_id), finals in truth.y1_finals(r.t).items():
            counted = [g for g in finals if truth.counts_toward_gpa(g)]
            if not counted:
                continue
            number = r.students[student_id]["student_number"]
            rows.append(
                (
                    _key(r.name, number, year),
                    r.name,
                    _key(r.name, number),
                    number,
                    year,
                    sum(g["gpa_points"] for g in counted) / len(counted),
                    len(counted),
                    float(sum(g["earnedcrhrs"] for g in finals)),
                )
            )
    return Expected(
        "kipptaf.fct_gpa",
        (
            "gpa_key",
            "code_location",
            "student_key",
            "student_number",
            "academic_year",
            "gpa",
            "courses",
            "earned_credit_hours",
        ),
        1,
        rows,
        note="truth.gpa: the mean points of a year's Y1 finals that count toward GPA",
    )


def fct_section_rosters(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        for cc in r.t["cc"]:
            s = r.students[cc["studentid"]]
            section = r.sections[abs(cc["sectionid"])]
            teacher = r.teacher_of_staff[section["teacher"]]
            end = truth.roster_end(cc, s, r.ended)
            rows.append(
                (
                    _key(r.name, cc["id"]),
                    r.name,
                    cc["id"],
                    section["id"],
                    cc["schoolid"],
                    abs(cc["termid"]),
                    truth.academic_year(cc["termid"]),
                    cc["course_number"],
                    r.courses[cc["course_number"]]["course_name"],
                    cc["section_number"],
                    _key(r.name, teacher["dcid"]),
                    teacher["teachernumber"],
                    _key(r.name, s["student_number"]),
                    s["student_number"],
                    cc["dateenrolled"],
                    cc["dateleft"],
                    end == "dropped",
                    end == "left_school",
                )
            )
    return Expected(
        "kipptaf.fct_section_rosters",
        (
            "roster_key",
            "code_location",
            "cc_id",
            "section_id",
            "school_number",
            "term_id",
            "academic_year",
            "course_number",
            "course_name",
            "section_number",
            "teacher_key",
            "teacher_number",
            "student_key",
            "student_number",
            "date_enrolled",
            "date_left",
            "is_dropped",
            "is_left_school",
        ),
        1,
        rows,
        note="an ended enrollment's section and term ids are its own, unsigned",
    )


# --- the filters dashboards use -------------------------------------------------------


def _iready_latest(district: District, region: str, year: int) -> dict[tuple[int, str], str]:
    """Per (student number, subject): the overall placement of the diagnostic i-Ready
    flags as the student's most recent this school year."""
    label = f"{year}-{year + 1}"
    out = {}
    flag = iready.most_recent_header(region)
    for rows in district.iready.get(region, {}).values():
        for row in rows:
            if row[flag] == "Y" and row["Academic Year"] == label:
                out[(row["Student ID"], row["Subject"])] = row["Overall Relative Placement"]
    return out


def _deanslist_this_year(
    district: District, region: str, year: int
) -> tuple[dict[int, int], dict[int, int]]:
    """Per student number: live incidents (not deleted in DeansList) issued this school
    year, and the points of this school year's behaviour entries."""
    incidents: dict[int, int] = defaultdict(int)
    points: dict[int, int] = defaultdict(int)
    for endpoints in district.deanslist.get(region, {}).values():
        for i in endpoints["incidents"]:
            issued = dt.date.fromisoformat(i["IssueTS"]["date"][:10])
            if i["IsActive"] and school_year_of(issued) == year:
                incidents[int(i["StudentSchoolID"])] += 1
        for b in endpoints["behavior"]:
            if school_year_of(dt.date.fromisoformat(b["BehaviorDate"])) == year:
                points[int(b["StudentSchoolID"])] += int(b["PointValue"])
    return incidents, points


def student_filters(district: District, regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        days = _year_days(r)
        iready = _iready_latest(district, r.name, r.year)
        incidents, points = _deanslist_this_year(district, r.name, r.year)
        for s in r.enrolled:
            number = s["student_number"]
            membership, attended = days.get(s["id"], (None, None))
            absent = None if membership is None else membership - attended
            rows.append(
                (
                    _key(r.name, number),
                    r.name,
                    number,
                    s["schoolid"],
                    r.school_name(s["schoolid"]),
                    s["grade_level"],
                    membership,
                    absent,
                    attended / membership if membership else None,
                    bool(membership) and truth.chronically_absent(membership, attended),
                    iready.get((number, "Reading")),
                    iready.get((number, "Math")),
                    incidents.get(number, 0),
                    points.get(number, 0),
                )
            )
    return Expected(
        STUDENT_FILTERS,
        (
            "student_key",
            "code_location",
            "student_number",
            "school_number",
            "school_name",
            "grade_level",
            "membership_days",
            "absent_days",
            "attendance_rate",
            "is_chronically_absent",
            "iready_reading_placement",
            "iready_math_placement",
            "incidents",
            "behavior_points",
        ),
        1,
        rows,
        note="this school year's attendance (truth.student_days), i-Ready, DeansList",
    )


# --- AutoComm -----------------------------------------------------------------------


def autocomm_students(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        for s in r.current:
            web_id = student_web_id(s["first_name"], s["last_name"], s["student_number"])
            rows.append(
                (
                    r.name,
                    s["student_number"],
                    s["state_studentnumber"],
                    s["first_name"],
                    s["last_name"],
                    s["schoolid"],
                    s["grade_level"],
                    s["entrydate"],
                    s["exitdate"],
                    web_id,
                    True,
                    web_id + ".family",
                    True,
                )
            )
    return Expected(
        AUTOCOMM_STUDENTS,
        (
            "code_location",
            "student_number",
            "state_student_number",
            "first_name",
            "last_name",
            "school_number",
            "grade_level",
            "entry_date",
            "exit_date",
            "student_web_id",
            "student_allow_web_access",
            "parent_web_id",
            "parent_allow_web_access",
        ),
        2,
        rows,
        note="current enrollments; web ids by name_part, never a password",
    )


def autocomm_teachers(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        for u in r.t["users"]:
            if u["teachernumber"] is None:
                continue
            staff = r.home.get(u["dcid"])
            status = staff["status"] if staff else 2  # no SchoolStaff record: inactive
            rows.append(
                (
                    r.name,
                    u["teachernumber"],
                    u["first_name"],
                    u["last_name"],
                    u["loginid"],
                    u["loginid"],
                    u["email_addr"],
                    u["homeschoolid"],
                    status,
                    staff["staffstatus"] if staff else None,
                    status == 1,
                )
            )
    return Expected(
        AUTOCOMM_TEACHERS,
        (
            "code_location",
            "teacher_number",
            "first_name",
            "last_name",
            "login_id",
            "teacher_login_id",
            "email",
            "school_number",
            "status",
            "staff_status",
            "is_active",
        ),
        2,
        rows,
        note="staff accounts with a teacher number, at their home school",
    )


def autocomm_students_iep(regions: list[_Region]) -> Expected:
    rows = []
    for r in regions:
        nj = {x["studentsdcid"]: x for x in r.t["s_nj_stu_x"]}
        for s in r.current:
            f, sped = r.flags[s["dcid"]], nj[s["dcid"]]
            rows.append(
                (
                    r.name,
                    s["student_number"],
                    s["schoolid"],
                    sped["specialed_classification"],
                    sped["iep_begin_date"],
                    sped["iep_end_date"],
                    f.has_iep,
                    f.has_504,
                )
            )
    return Expected(
        AUTOCOMM_STUDENTS_IEP,
        (
            "code_location",
            "student_number",
            "school_number",
            "specialed_classification",
            "iep_begin_date",
            "iep_end_date",
            "has_iep",
            "has_504",
        ),
        2,
        rows,
        note="current enrollments with the state's IEP fields and the 504 flag",
    )


# each relation and the function computing it; the student filters read the vendors too
BUILDERS: dict[str, Callable[[District, list[_Region]], Expected]] = {
    "kipptaf.dim_schools": lambda _, r: dim_schools(r),
    "kipptaf.dim_students": lambda _, r: dim_students(r),
    "kipptaf.dim_teachers": lambda _, r: dim_teachers(r),
    "kipptaf.fct_enrollments": lambda _, r: fct_enrollments(r),
    "kipptaf.fct_daily_attendance": lambda _, r: fct_daily_attendance(r),
    "kipptaf.fct_school_attendance": lambda _, r: fct_school_attendance(r),
    "kipptaf.fct_grades": lambda _, r: fct_grades(r),
    "kipptaf.fct_gpa": lambda _, r: fct_gpa(r),
    "kipptaf.fct_section_rosters": lambda _, r: fct_section_rosters(r),
    STUDENT_FILTERS: student_filters,
    AUTOCOMM_STUDENTS: lambda _, r: autocomm_students(r),
    AUTOCOMM_TEACHERS: lambda _, r: autocomm_teachers(r),
    AUTOCOMM_STUDENTS_IEP: lambda _, r: autocomm_students_iep(r),
}
RELATIONS = tuple(BUILDERS)


def tables(district: District, relations: Iterable[str] = RELATIONS) -> list[Expected]:
    """The expected rows of ``relations`` (default: every one this module covers)."""
    regions = _regions(district)
    return [BUILDERS[name](district, regions) for name in relations]
