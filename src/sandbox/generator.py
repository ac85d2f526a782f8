"""A seeded, deterministic school network: the data every sandbox server serves.

``World`` draws a whole school year once (every random choice happens there), and
``World.view(as_of)`` shows what the systems hold on a given day: rows whose events
have happened, each in its state on that day and stamped the way PowerSchool stamps
it (``sandbox.sis``). Advancing the sandbox is a later view of the same world, so
modified rows and new rows appear exactly as they would in a live SIS. The ground
truth is computed from the view's rows, never from anything teamster writes.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from sandbox.calendar import SchoolYear, school_year, school_year_of
from sandbox.vendors.adp import payroll_group
from teamster.core.regions import REGISTRY
from teamster.core.regions import Region as RegionPlan

# The regions and their schools are the registry's (code_locations/locations.yaml): a
# school with `tracks` runs a year-round calendar, its students split between tracks A
# and B, and track B has days off while the school is in session.

STUDENTS_PER_REGION_AT_SCALE_1 = 2500
STUDENTS_PER_SECTION = 25
STUDENTS_PER_TEACHER = 12
DEFAULT_AS_OF = dt.date(2026, 11, 30)

FIRST_NAMES = (
    "Aaliyah Amir Ana Andre Angel Ariana Ava Brandon Brianna Camila Carlos Chloe Daniel Darius "
    "David Destiny Diego Elijah Emily Emmanuel Gabriel Genesis Isabella Isaiah Jada Jalen Jasmine "
    "Jayden Jordan Jose Josiah Kayla Kevin Layla Leah Luis Malik Maria Mariah Mateo Maya Michael "
    "Nevaeh Nia Olivia Samuel Sofia Tiana Xavier Zion"
).split()
LAST_NAMES = (
    "Allen Alvarez Bailey Brown Castillo Cruz Davis Diaz Edwards Flores Garcia Gomez Green Harris "
    "Hernandez Jackson Johnson Jones King Lopez Martinez Mendoza Miller Mitchell Moore Morales "
    "Nguyen Ortiz Perez Ramirez Reyes Rivera Robinson Rodriguez Sanchez Smith Taylor Thomas "
    "Thompson Torres Walker Washington White Williams Wilson Young"
).split()

# PowerSchool's enroll_status codes. 1 marks a record entered by mistake and set
# inactive: PowerSchool's own ADA/ADM leaves it out.
PRE_REGISTERED, ACTIVE, INACTIVE, TRANSFERRED_OUT, GRADUATED = -1, 0, 1, 2, 3
# Graduates move to PowerSchool's "Graduated Students" school at grade 99.
GRADUATED_SCHOOL, GRADUATED_GRADE = 999999, 99
# Rows nobody has touched since this day carry no transaction_date (NULL): the
# stamp only exists on rows written since (an upgrade, in PowerSchool's history).
STAMPED_SINCE = dt.date(2025, 7, 1)

# Daily attendance codes: (code, description, presence, calculate_ada_yn,
# calculate_adm_yn, attendance value for a full-time FTE, for a half-time FTE).
# "P" is the school year's Present code: a day without a record counts as it. The
# values are PowerSchool's code-to-day conversion (attendance_conversion_items).
ATTENDANCE_CODES = [
    ("P", "Present", "Present", 1, 1, 1.0, 0.5),
    ("A", "Absent Unexcused", "Absent", 1, 1, 0.0, 0.0),
    ("AE", "Absent Excused", "Absent", 1, 1, 0.0, 0.0),
    ("T", "Tardy Unexcused", "Present", 1, 1, 1.0, 0.5),
    ("TE", "Tardy Excused", "Present", 1, 1, 1.0, 0.5),
    ("HD", "Half Day", "Present", 1, 1, 0.5, 0.25),
    ("ISS", "In-School Suspension", "Present", 1, 1, 1.0, 0.5),
    ("OSS", "Out-of-School Suspension", "Absent", 1, 1, 0.0, 0.0),
    ("VL", "Virtual Learning (not counted for ADA)", "Present", 0, 1, 1.0, 0.5),
    ("NM", "Not in Membership", "Absent", 0, 0, 0.0, 0.0),
]
# Beyond plain absences: (code, daily chance); excused later: A -> AE, T -> TE.
OTHER_CODES = [
    ("T", 0.03),
    ("HD", 0.01),
    ("ISS", 0.003),
    ("OSS", 0.003),
    ("VL", 0.005),
    ("NM", 0.002),
]
CORE_SUBJECTS = [
    ("ELA", "English Language Arts"),
    ("MATH", "Mathematics"),
    ("SCI", "Science"),
    ("SOC", "Social Studies"),
]
ELECTIVES = [("ART", "Visual Art"), ("MUS", "Music"), ("PE", "Physical Education")]
EXCLUDED_FROM_GPA = {"PE"}
SPED_CLASSIFICATIONS = ["SLD", "OHI", "AUT", "SLI", "MD", "ED"]
LANGUAGES = ["English"] * 8 + ["Spanish", "Haitian Creole", "Portuguese", "Arabic"]
ETHNICITIES = [
    ("B", "Black or African American"),
    ("H", "Hispanic or Latino"),
    ("W", "White"),
    ("A", "Asian"),
    ("T", "Two or More Races"),
]
LOG_TYPES = [(3, "Parent Contact"), (4, "Behavior Note"), (5, "Academic Note")]


def _ts(day: dt.date, rng: random.Random, start_hour: int = 7, end_hour: int = 18) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(start_hour, end_hour), rng.randrange(60)))


def _at(day: dt.date, hour: int = 6) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


@dataclass
class Region:
    """One region's whole year: entities with the dates their states change."""

    name: str
    index: int
    plan: RegionPlan
    year: SchoolYear
    schools: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    courses: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    students: list[dict] = field(default_factory=list)
    cc: list[dict] = field(default_factory=list)
    absences: list[dict] = field(default_factory=list)
    grades: list[dict] = field(default_factory=list)  # one per cc and quarter of its term
    prior_grades: list[dict] = field(default_factory=list)
    logs: list[dict] = field(default_factory=list)
    track_days_off: set[dt.date] = field(default_factory=set)  # track B's days off

    def attending(self) -> list[dict]:
        """Students who attend a school of the region this year (at some point): what
        DeansList, i-Ready and Enrollment know about. Leaves out pre-registrations for
        next year, last year's graduates and records entered by mistake."""
        return [s for s in self.students if s["kind"] in ("enrolled", "late", "withdrawn")]


class World:
    """Everything the district will do this school year, drawn from one seed."""

    def __init__(self, seed: int = 7, scale: float = 1.0, start_year: int | None = None):
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.seed = seed
        self.scale = scale
        self.year = school_year(
            start_year if start_year is not None else school_year_of(DEFAULT_AS_OF)
        )
        self.prior_years = [school_year(self.year.start_year - k) for k in (1, 2)]
        self.school_days = self.year.school_days()
        self.quarters = self.year.quarters()
        self.regions = {
            plan.name: self._region(plan.name, i, plan) for i, plan in enumerate(REGISTRY.regions)
        }

    @property
    def semesters(self) -> list[tuple[str, dt.date, dt.date]]:
        """(name, first day, last day) of S1 and S2: two quarters each."""
        q = self.quarters
        return [("S1", q[0][1], q[1][2]), ("S2", q[2][1], q[3][2])]

    # --- drawing the year -------------------------------------------------------------

    def _region(self, name: str, index: int, plan: RegionPlan) -> Region:
        rng = random.Random(f"{self.seed}:{name}")
        region = Region(name, index, plan, self.year)
        for i, school in enumerate(plan.schools):
            edited = rng.random() < 0.5  # the others were last written before the stamp
            region.schools.append(
                {
                    "id": i + 1,
                    "dcid": 1000 + i + 1,
                    "school_number": school.number,
                    "name": school.name,
                    "abbreviation": school.abbreviation,
                    "low_grade": school.low_grade,
                    "high_grade": school.high_grade,
                    "schoolcity": plan.city,
                    "schoolstate": plan.state,
                    "tracks": school.tracks,
                    "modified": _ts(self.year.first_day - dt.timedelta(rng.randrange(20, 300)), rng)
                    if edited
                    else None,
                }
            )
        region.schools.append(
            {
                "id": len(plan.schools) + 1,
                "dcid": 1000 + len(plan.schools) + 1,
                "school_number": GRADUATED_SCHOOL,
                "name": "Graduated Students",
                "abbreviation": "Grad",
                "low_grade": GRADUATED_GRADE,
                "high_grade": GRADUATED_GRADE,
                "schoolcity": plan.city,
                "schoolstate": plan.state,
                "tracks": False,
                "modified": None,
            }
        )
        if any(s["tracks"] for s in region.schools):
            spring = [d for d in self.school_days if d.month in (3, 4, 5)]
            region.track_days_off = set(rng.sample(spring, 5))
        self._students(region, rng)
        self._graduates(region, rng)
        self._invalid_records(region, rng)
        self._staff(region, rng)
        self._courses_and_sections(region, rng)
        self._attendance(region, rng)
        self._grades(region, rng)
        self._logs(region, rng)
        return region

    def real_schools(self, region: Region) -> list[dict]:
        return [s for s in region.schools if s["school_number"] != GRADUATED_SCHOOL]

    def _students(self, region: Region, rng: random.Random) -> None:
        days = self.school_days
        first, last = self.year.first_day, self.year.last_day
        schools = self.real_schools(region)
        n = max(1, round(STUDENTS_PER_REGION_AT_SCALE_1 * self.scale))
        for i in range(n):
            school = schools[rng.randrange(len(schools))]
            grade = rng.randint(school["low_grade"], school["high_grade"])
            roll = rng.random()
            returning = grade > school["low_grade"] and rng.random() < 0.85
            years_here = grade - school["low_grade"] if returning else 0
            student = {
                "id": i + 1,
                "dcid": 50000 + i + 1,
                "student_number": (region.index + 1) * 1_000_000 + i + 1,
                "state_studentnumber": str(rng.randrange(10**9, 10**10)),
                "first_name": rng.choice(FIRST_NAMES),
                "last_name": rng.choice(LAST_NAMES),
                "schoolid": school["school_number"],
                "grade_level": grade,
                "dob": dt.date(first.year - grade - 6, 9, 1)
                + dt.timedelta(days=rng.randrange(365)),
                "gender": rng.choice("MF"),
                "ethnicity": rng.choice(ETHNICITIES)[0],
                "entrydate": first,
                "exitdate": last + dt.timedelta(days=1),
                # a returning student's record dates from the year they arrived
                "created": dt.date(first.year - years_here, 6, 1)
                - dt.timedelta(days=rng.randrange(0, 90)),
                "kind": "enrolled",
                "withdrawn": None,
                "pre_registered": False,
                "absence_rate": min(0.6, rng.betavariate(1.2, 14)),
                "ability": rng.gauss(80, 9),
                "returning": returning,
                "part_time": rng.random() < 0.03,
                "track": rng.choice("AB") if school["tracks"] else None,
                "iep": rng.choice(SPED_CLASSIFICATIONS) if rng.random() < 0.16 else "",
                "lep": rng.random() < 0.12,
                "c504": rng.random() < 0.03,
                "language": rng.choice(LANGUAGES),
                # dates when a clerk edits the record (address, phone...): the stamp moves
                "edits": sorted(rng.choice(days) for _ in range(rng.randrange(0, 3))),
                # how the district's staff typed the flags (PowerSchool keeps the text)
                "lep_spelling": rng.choice(["Y", "YES", "1"]),
                "non_lep_spelling": rng.choice(["N", "NO", "0", "", None]),
                # NJ's state 504 field is filled for some students before reporting
                "state_504_filled": rng.random() < 0.5,
            }
            if roll < 0.10:  # withdraws during the year
                student["kind"] = "withdrawn"
                student["withdrawn"] = days[rng.randrange(10, len(days) - 5)]
            elif roll < 0.13:  # joins after the first day
                student["kind"] = "late"
                student["entrydate"] = days[rng.randrange(5, len(days) - 20)]
                student["created"] = student["entrydate"] - dt.timedelta(days=rng.randrange(1, 7))
                student["returning"] = False
            elif roll < 0.15:  # registers during the year for next year
                student["kind"] = "prereg"
                student["pre_registered"] = True
                student["entrydate"] = dt.date(first.year + 1, 9, 3)
                student["exitdate"] = dt.date(first.year + 2, 6, 19)
                student["created"] = days[rng.randrange(len(days))]
                student["returning"] = False
                student["track"] = None
            self._extension_edit(student, rng)
            region.students.append(student)

    def _extension_edit(self, student: dict, rng: random.Random) -> None:
        """Now and then staff correct a student's extension fields mid-year, which moves
        that table's whenmodified: a home language, an IEP's classification, a 504 plan
        added."""
        student["ext_edit"] = None
        if student["kind"] == "prereg" or rng.random() >= 0.06:
            return
        kind = "iep" if student["iep"] else rng.choice(["language", "504"])
        if kind == "504" and student["c504"]:
            kind = "language"
        days = [d for d in self.school_days if d > student["entrydate"]]
        student["ext_edit"] = (days[rng.randrange(len(days))], kind)
        student["language_corrected"] = rng.choice(
            [language for language in LANGUAGES if language != student["language"]]
        )
        student["iep_revised"] = (
            rng.choice([c for c in SPED_CLASSIFICATIONS if c != student["iep"]])
            if student["iep"]
            else ""
        )

    def _graduates(self, region: Region, rng: random.Random) -> None:
        """Last year's seniors: at PowerSchool's Graduated Students school, grade 99,
        their senior year kept as a re-enrollment."""
        prior = self.prior_years[0]
        for school in self.real_schools(region):
            if school["high_grade"] != 12:
                continue
            seniors = sum(
                1
                for s in region.students
                if s["schoolid"] == school["school_number"] and s["grade_level"] == 12
            )
            for _ in range(max(1, seniors)):
                n = len(region.students) + 1
                region.students.append(
                    {
                        "id": n,
                        "dcid": 50000 + n,
                        "student_number": (region.index + 1) * 1_000_000 + n,
                        "state_studentnumber": str(rng.randrange(10**9, 10**10)),
                        "first_name": rng.choice(FIRST_NAMES),
                        "last_name": rng.choice(LAST_NAMES),
                        "schoolid": GRADUATED_SCHOOL,
                        "graduated_schoolid": school["school_number"],
                        "grade_level": GRADUATED_GRADE,
                        "senior_school": school["school_number"],
                        "dob": dt.date(prior.start_year - 17, 9, 1)
                        + dt.timedelta(days=rng.randrange(365)),
                        "gender": rng.choice("MF"),
                        "ethnicity": rng.choice(ETHNICITIES)[0],
                        "entrydate": prior.last_day + dt.timedelta(days=1),
                        "exitdate": prior.last_day + dt.timedelta(days=1),
                        "created": dt.date(prior.start_year - 3, 6, 1),
                        "graduated_on": prior.last_day + dt.timedelta(days=1),
                        "kind": "graduate",
                        "withdrawn": None,
                        "pre_registered": False,
                        "absence_rate": 0.0,
                        "ability": rng.gauss(80, 9),
                        "returning": False,
                        "part_time": False,
                        "track": None,
                        "iep": "",
                        "lep": False,
                        "c504": False,
                        "language": rng.choice(LANGUAGES),
                        "edits": [],
                        "lep_spelling": "Y",
                        "non_lep_spelling": "N",
                        "state_504_filled": False,
                        "ext_edit": None,
                    }
                )

    def _invalid_records(self, region: Region, rng: random.Random) -> None:
        """Records a clerk created by mistake (a student entered twice), used for a few
        days, then set inactive (enroll_status 1): they must count nowhere."""
        days = self.school_days
        enrolled = [s for s in region.students if s["kind"] == "enrolled"]
        for original in rng.sample(enrolled, max(1, len(enrolled) // 100)):
            start = rng.randrange(2, 60)
            n = len(region.students) + 1
            region.students.append(
                original
                | {
                    "id": n,
                    "dcid": 50000 + n,
                    "student_number": (region.index + 1) * 1_000_000 + n,
                    "entrydate": days[start],
                    "exitdate": days[start + rng.randrange(3, 8)],
                    "created": days[start] - dt.timedelta(days=1),
                    "kind": "invalid",
                    "returning": False,
                    "iep": "",
                    "lep": False,
                    "c504": False,
                    "edits": [],
                    "absence_rate": 0.3,
                }
            )

    def _staff(self, region: Region, rng: random.Random) -> None:
        by_school: dict[int, int] = {}
        for s in region.students:
            by_school[s["schoolid"]] = by_school.get(s["schoolid"], 0) + 1
        next_id = 1
        for school in self.real_schools(region):
            teachers = max(
                4, math.ceil(by_school.get(school["school_number"], 0) / STUDENTS_PER_TEACHER)
            )
            for k in range(teachers + 4):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                login = f"{first[0]}{last}{next_id}".lower()
                leaves = (
                    self.school_days[rng.randrange(20, len(self.school_days))]
                    if rng.random() < 0.06
                    else None
                )
                hired = self.year.first_day - dt.timedelta(days=rng.randrange(20, 2000))
                region.staff.append(
                    {
                        "users_dcid": 7000 + next_id,
                        "schoolstaff_id": 9000 + next_id,
                        "teachernumber": f"{region.index + 1}{next_id:05d}",
                        "first_name": first,
                        "last_name": last,
                        "loginid": login,
                        "email_addr": f"{login}@{region.name}.example.org",
                        "homeschoolid": school["school_number"],
                        "is_teacher": k < teachers,
                        "left": leaves,
                        "hired": hired,
                        "adp_position_id": f"{payroll_group(region.name)}{next_id:06d}",
                        "title": "Teacher"
                        if k < teachers
                        else rng.choice(
                            [
                                "Operations Associate",
                                "Dean of Students",
                                "Social Worker",
                                "Assistant Principal",
                            ]
                        ),
                    }
                )
                next_id += 1

    def _courses_and_sections(self, region: Region, rng: random.Random) -> None:
        """Core courses meet all year; electives one semester each. Some students
        swap sections once (PowerSchool marks the dropped enrollment with negative
        section and term ids); a student who leaves school has every enrollment that
        is still running ended the same way, on the exit date."""
        year_term, (s1, s2) = self.year.yearid * 100, self.semesters
        semester_terms = {"S1": (year_term + 1, s1), "S2": (year_term + 2, s2)}
        end_of_year = self.year.last_day + dt.timedelta(days=1)
        number = 1
        for grade in range(0, 13):
            for code, name in CORE_SUBJECTS + ELECTIVES:
                label = "K" if grade == 0 else f"{grade:02d}"
                region.courses.append(
                    {
                        "id": number,
                        "dcid": 3000 + number,
                        "course_number": f"{code}{label}",
                        "course_name": f"{name} {'K' if grade == 0 else f'Grade {grade}'}",
                        "credit_hours": 1.0 if grade >= 9 else 0.0,
                        "credittype": code,
                        "grade": grade,
                        "elective": (code, name) in ELECTIVES,
                        "modified": _ts(self.year.first_day - dt.timedelta(40), rng)
                        if rng.random() < 0.2
                        else None,
                    }
                )
                number += 1
        courses = {(c["grade"], c["credittype"]): c for c in region.courses}
        teachers_by_school: dict[int, list[dict]] = {}
        for member in region.staff:
            if member["is_teacher"]:
                teachers_by_school.setdefault(member["homeschoolid"], []).append(member)
        students_by_school_grade: dict[tuple[int, int], list[dict]] = {}
        for s in region.attending():
            students_by_school_grade.setdefault((s["schoolid"], s["grade_level"]), []).append(s)
        section_id, cc_id = 1, 1
        for (schoolid, grade), roster in sorted(students_by_school_grade.items()):
            teachers = teachers_by_school[schoolid]
            count = math.ceil(len(roster) / STUDENTS_PER_SECTION)
            offerings = [(code, year_term, None) for code, _ in CORE_SUBJECTS] + [
                (ELECTIVES[(grade + k) % len(ELECTIVES)][0], *semester_terms[name])
                for k, name in enumerate(("S1", "S2"))
            ]
            for code, termid, semester in offerings:
                course = courses[(grade, code)]
                start, end = (
                    (self.year.first_day, end_of_year)
                    if semester is None
                    else (semester[1], semester[2] + dt.timedelta(days=1))
                )
                group = []
                for k in range(count):
                    teacher = teachers[(section_id + k) % len(teachers)]
                    section = {
                        "id": section_id,
                        "dcid": 20000 + section_id,
                        "course_number": course["course_number"],
                        "section_number": str(k + 1),
                        "schoolid": schoolid,
                        "termid": termid,
                        "teacher": teacher["schoolstaff_id"],
                        "grade": grade,
                        "course": course,
                        "first_day": start,
                        "end": end,
                        "created": self.year.first_day - dt.timedelta(days=rng.randrange(10, 60)),
                    }
                    region.sections.append(section)
                    group.append(section)
                    section_id += 1
                rows: list[dict] = []
                for k, section in enumerate(group):
                    for s in roster[k::count]:
                        entered = max(s["entrydate"], start)
                        if entered >= end:
                            continue  # joined after this semester ended
                        rows.append(
                            {
                                "id": cc_id,
                                "dcid": 80000 + cc_id,
                                "studentid": s["id"],
                                "section": section,
                                "schoolid": schoolid,
                                "dateenrolled": entered,
                                "dateleft": end,
                                "dropped_on": None,
                                "student": s,
                                "course": course,
                                "created": s["created"],
                            }
                        )
                        cc_id += 1
                region.cc.extend(rows)
                cc_id = self._swaps(region, rng, group, rows, cc_id)
        self._exits(region)

    def _swaps(
        self, region: Region, rng: random.Random, group: list[dict], rows: list[dict], cc_id: int
    ) -> int:
        """A schedule change: a student moves to another section of the same course, or
        leaves the course when it has one section."""
        for row in rows:
            if rng.random() >= 0.04:
                continue
            s, section = row["student"], row["section"]
            days = [
                d
                for d in self.school_days
                if row["dateenrolled"] < d < row["dateleft"]
                and (s["withdrawn"] is None or d < s["withdrawn"])
            ]
            if len(days) < 10:
                continue
            day = days[rng.randrange(3, len(days) - 3)]
            row["dateleft"] = day
            row["dropped_on"] = day
            if len(group) < 2:
                continue
            other = group[(group.index(section) + 1) % len(group)]
            region.cc.append(
                row
                | {
                    "id": cc_id,
                    "dcid": 80000 + cc_id,
                    "section": other,
                    "dateenrolled": day,
                    "dateleft": other["end"],
                    "dropped_on": None,
                    "created": day - dt.timedelta(days=1),
                }
            )
            cc_id += 1
        return cc_id

    def _exits(self, region: Region) -> None:
        """Withdrawn students: enrollments running on the exit date end then (dropped);
        ones that would start later are removed, as PowerSchool's exit does."""
        kept = []
        for row in region.cc:
            left = row["student"]["withdrawn"]
            if left is not None:
                if row["dateenrolled"] >= left:
                    continue
                if row["dateleft"] > left:
                    row["dateleft"] = left
                    row["dropped_on"] = left
            kept.append(row)
        region.cc = kept

    def _attendance(self, region: Region, rng: random.Random) -> None:
        next_id = 1
        for s in region.students:
            if s["kind"] not in ("enrolled", "late", "withdrawn", "invalid"):
                continue
            end = s["withdrawn"] or s["exitdate"]
            for day in self.school_days:
                if day < s["entrydate"] or day >= end:
                    continue
                if s["track"] == "B" and day in region.track_days_off:
                    continue  # off track: no attendance is taken
                code, excused = None, None
                r = rng.random()
                if r < s["absence_rate"]:
                    code, excused = "A", "AE"
                else:
                    r -= s["absence_rate"]
                    for other, chance in OTHER_CODES:
                        if r < chance:
                            code, excused = other, "TE" if other == "T" else None
                            break
                        r -= chance
                if code is None:
                    continue
                recorded = _ts(day, rng, 8, 11)
                region.absences.append(
                    {
                        "id": next_id,
                        "dcid": 400000 + next_id,
                        "studentid": s["id"],
                        "schoolid": s["schoolid"],
                        "att_date": day,
                        "code": code,
                        "recorded": recorded,
                        # a note arrives later and the record becomes excused
                        "excused_code": excused,
                        "excused_at": recorded + dt.timedelta(days=rng.randrange(1, 6), hours=2)
                        if excused and rng.random() < 0.25
                        else None,
                    }
                )
                next_id += 1

    def _grades(self, region: Region, rng: random.Random) -> None:
        for row in region.cc:
            student, section = row["student"], row["section"]
            for q, (storecode, start, end) in enumerate(self.quarters):
                if end < section["first_day"] or start >= section["end"]:
                    continue  # not a quarter of this section's term
                region.grades.append(
                    {
                        "cc": row,
                        "quarter": q,
                        "storecode": storecode,
                        "percent": max(
                            40.0, min(100.0, round(rng.gauss(student["ability"], 6), 1))
                        ),
                        "drift": round(rng.uniform(-1.5, 1.5), 2),
                        # a teacher has not graded this student yet in the running quarter
                        "ungraded_until": start + dt.timedelta(days=rng.randrange(7, 21))
                        if rng.random() < 0.05
                        else None,
                    }
                )
        prior_id = 1
        for s in region.students:
            history: list[tuple[int, int, int]] = []  # (years back, grade, school)
            if s["kind"] == "graduate":
                history = [(1, 12, s["senior_school"])]
            elif s["returning"] and s["kind"] != "invalid":
                history = [(1, s["grade_level"] - 1, s["schoolid"])]
                if s["grade_level"] - 2 >= 0 and s["created"].year < self.year.start_year - 1:
                    history.append((2, s["grade_level"] - 2, s["schoolid"]))
            for back, grade, school in history:
                year = self.prior_years[back - 1]
                for code, name in CORE_SUBJECTS:
                    region.prior_grades.append(
                        {
                            "dcid": 600000 + prior_id,
                            "studentid": s["id"],
                            "schoolid": school,
                            "grade_level": grade,
                            "course_number": f"{code}{'K' if grade == 0 else f'{grade:02d}'}",
                            "course_name": name,
                            "credit_hours": 1.0 if grade >= 9 else 0.0,
                            "termid": year.yearid * 100,
                            "percent": max(40.0, min(100.0, round(rng.gauss(s["ability"], 6), 1))),
                            "stored": _ts(year.last_day + dt.timedelta(days=6), rng),
                        }
                    )
                    prior_id += 1

    def _logs(self, region: Region, rng: random.Random) -> None:
        next_id = 1
        for s in region.attending():
            for _ in range(rng.randrange(0, 4)):
                day = rng.choice(self.school_days)
                if day < s["entrydate"]:
                    continue
                logtype, subject = rng.choice(LOG_TYPES)
                region.logs.append(
                    {
                        "id": next_id,
                        "dcid": 700000 + next_id,
                        "studentid": s["id"],
                        "logtypeid": logtype,
                        "subject": subject,
                        "entry_date": day,
                        "entry": f"{subject} recorded for student {s['id']}.",
                        "entry_author": "staff",
                        "created": _ts(day, rng),
                    }
                )
                next_id += 1

    # --- what the systems hold on a given day ----------------------------------------

    def view(self, as_of: dt.date) -> District:
        from sandbox import sis, vendors

        district = District(seed=self.seed, scale=self.scale, as_of=as_of, year=self.year)
        for name, region in self.regions.items():
            district.sis[name] = sis.view(self, region, as_of)
        vendors.fill(self, district)
        return district


@dataclass
class District:
    """Every system's content on ``as_of``."""

    seed: int
    scale: float
    as_of: dt.date
    year: SchoolYear
    sis: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    deanslist: dict[str, dict[int, dict[str, list[dict]]]] = field(default_factory=dict)
    iready: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    adp_gl: dict[str, list[dict]] = field(default_factory=dict)  # payroll file name -> lines
    adp_workers: list[dict] = field(default_factory=list)  # Workforce Now worker objects
    sheets: dict[str, dict[str, Any]] = field(default_factory=dict)
    enrollment_actions: list[dict] = field(default_factory=list)
    enrollment_submissions: dict[int, list[dict]] = field(default_factory=dict)

    def truth(self) -> dict[str, Any]:
        from sandbox.truth import compute

        return compute(self)


def generate(seed: int = 7, scale: float = 1.0, as_of: dt.date | None = None) -> District:
    """The district on ``as_of`` (default 2026-11-30); same inputs, same rows."""
    as_of = as_of or DEFAULT_AS_OF
    return World(seed, scale, school_year_of(as_of)).view(as_of)
