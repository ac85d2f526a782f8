"""A seeded, deterministic school network: the data every sandbox server serves.

``World`` draws a whole school year once (every random choice happens there), and
``World.view(as_of)`` shows what the systems hold on a given day: rows whose events
have happened, each with ``whenmodified`` at its latest change. Advancing the
sandbox is a later view of the same world, so modified rows and new rows appear
exactly as they would in a live SIS. The ground truth is computed from the view's
rows, never from anything teamster writes.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from sandbox.calendar import SchoolYear, school_year, school_year_of

# Region -> city, state, how its PowerSchool SIS is reached, and its schools:
# (name, abbreviation, low grade, high grade); K is 0.
REGIONS: dict[str, dict[str, Any]] = {
    "kippnewark": {
        "city": "Newark",
        "state": "NJ",
        "sis": "sql",
        "schools": [
            ("KIPP SPARK Academy", "SPARK", 0, 4),
            ("KIPP THRIVE Academy", "THRIVE", 0, 4),
            ("KIPP Seek Academy", "Seek", 0, 4),
            ("KIPP Rise Academy", "Rise", 5, 8),
            ("KIPP TEAM Academy", "TEAM", 5, 8),
            ("KIPP Newark Collegiate Academy", "NCA", 9, 12),
        ],
    },
    "kippcamden": {
        "city": "Camden",
        "state": "NJ",
        "sis": "sql",
        "schools": [
            ("KIPP Lanning Square Primary", "LSP", 0, 4),
            ("KIPP Lanning Square Middle", "LSM", 5, 8),
            ("KIPP Cooper Norcross High", "KCNHS", 9, 12),
        ],
    },
    "kippmiami": {
        "city": "Miami",
        "state": "FL",
        "sis": "sql",
        "schools": [
            ("KIPP Royalty Academy", "Royalty", 0, 5),
            ("KIPP Sunrise Academy", "Sunrise", 0, 5),
            ("KIPP Courage Academy", "Courage", 6, 8),
        ],
    },
    "kipppaterson": {
        "city": "Paterson",
        "state": "NJ",
        "sis": "sftp",
        "schools": [
            ("KIPP Paterson Elementary", "KPE", 0, 4),
            ("KIPP Paterson Middle", "KPM", 5, 8),
        ],
    },
}

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

# PowerSchool enroll_status codes
ACTIVE, PRE_REGISTERED, TRANSFERRED_OUT = 0, -1, 2
# attendance codes: (code, description, presence) ; present days have no record
ATTENDANCE_CODES = [
    ("A", "Absent Unexcused", "Absent"),
    ("AE", "Absent Excused", "Absent"),
    ("T", "Tardy Unexcused", "Present"),
    ("TE", "Tardy Excused", "Present"),
]
CORE_SUBJECTS = [
    ("ELA", "English Language Arts"),
    ("MATH", "Mathematics"),
    ("SCI", "Science"),
    ("SOC", "Social Studies"),
]
ELECTIVES = [("ART", "Visual Art"), ("MUS", "Music"), ("PE", "Physical Education")]
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
    plan: dict[str, Any]
    year: SchoolYear
    schools: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)
    courses: list[dict] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    students: list[dict] = field(default_factory=list)
    cc: list[dict] = field(default_factory=list)
    absences: list[dict] = field(default_factory=list)
    grades: list[dict] = field(default_factory=list)  # one per cc and quarter
    prior_grades: list[dict] = field(default_factory=list)
    logs: list[dict] = field(default_factory=list)

    def attending(self) -> list[dict]:
        """Students who attend a school of the region this year (at some point): what
        DeansList, i-Ready and Enrollment know about. Excludes pre-registrations for
        next year (and, as the SIS grows them, graduates and invalid records)."""
        return [s for s in self.students if not s["pre_registered"]]


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
        self.school_days = self.year.school_days()
        self.quarters = self.year.quarters()
        self.regions = {
            name: self._region(name, i, plan) for i, (name, plan) in enumerate(REGIONS.items())
        }

    # --- drawing the year -------------------------------------------------------------

    def _region(self, name: str, index: int, plan: dict[str, Any]) -> Region:
        rng = random.Random(f"{self.seed}:{name}")
        region = Region(name, index, plan, self.year)
        base = (index + 1) * 100  # school numbers never collide across regions
        for i, (school_name, abbreviation, low, high) in enumerate(plan["schools"]):
            region.schools.append(
                {
                    "id": i + 1,
                    "dcid": 1000 + i + 1,
                    "school_number": base + i + 1,
                    "name": school_name,
                    "abbreviation": abbreviation,
                    "low_grade": low,
                    "high_grade": high,
                    "schoolcity": plan["city"],
                    "schoolstate": plan["state"],
                    "whenmodified": _ts(
                        self.year.first_day - dt.timedelta(days=rng.randrange(60, 400)), rng
                    ),
                }
            )
        self._students(region, rng)
        self._staff(region, rng)
        self._courses_and_sections(region, rng)
        self._attendance(region, rng)
        self._grades(region, rng)
        self._logs(region, rng)
        return region

    def _students(self, region: Region, rng: random.Random) -> None:
        days = self.school_days
        first, last = self.year.first_day, self.year.last_day
        n = max(1, round(STUDENTS_PER_REGION_AT_SCALE_1 * self.scale))
        for i in range(n):
            school = region.schools[rng.randrange(len(region.schools))]
            grade = rng.randint(school["low_grade"], school["high_grade"])
            roll = rng.random()
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
                "created": first - dt.timedelta(days=rng.randrange(30, 200)),
                "withdrawn": None,
                "pre_registered": False,
                "absence_rate": min(0.6, rng.betavariate(1.2, 14)),
                "ability": rng.gauss(80, 9),
                "returning": grade > school["low_grade"] and rng.random() < 0.85,
                "iep": rng.choice(SPED_CLASSIFICATIONS) if rng.random() < 0.16 else "",
                "lep": rng.random() < 0.12,
                "c504": rng.random() < 0.03,
                "language": rng.choice(LANGUAGES),
                # dates when a clerk edits the record (address, phone...): whenmodified moves
                "edits": sorted(rng.choice(days) for _ in range(rng.randrange(0, 3))),
            }
            if roll < 0.10:  # withdraws during the year
                student["withdrawn"] = days[rng.randrange(10, len(days) - 5)]
            elif roll < 0.13:  # joins after the first day
                student["entrydate"] = days[rng.randrange(5, len(days) - 20)]
                student["created"] = student["entrydate"] - dt.timedelta(days=rng.randrange(1, 7))
                student["returning"] = False
            elif roll < 0.15:  # registers during the year for next year
                student["pre_registered"] = True
                student["entrydate"] = dt.date(first.year + 1, 9, 3)
                student["exitdate"] = dt.date(first.year + 2, 6, 19)
                student["created"] = days[rng.randrange(len(days))]
                student["returning"] = False
            region.students.append(student)

    def _staff(self, region: Region, rng: random.Random) -> None:
        by_school: dict[int, int] = {}
        for s in region.students:
            by_school[s["schoolid"]] = by_school.get(s["schoolid"], 0) + 1
        next_id = 1
        for school in region.schools:
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
                        "hired": self.year.first_day - dt.timedelta(days=rng.randrange(20, 2000)),
                        "adp_position_id": f"{region.name[4:7].upper()}{next_id:06d}",
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
                    }
                )
                number += 1
        courses = {(c["grade"], c["credittype"]): c for c in region.courses}
        teachers_by_school: dict[int, list[dict]] = {}
        for member in region.staff:
            if member["is_teacher"]:
                teachers_by_school.setdefault(member["homeschoolid"], []).append(member)
        students_by_school_grade: dict[tuple[int, int], list[dict]] = {}
        for s in region.students:
            if not s["pre_registered"]:
                students_by_school_grade.setdefault((s["schoolid"], s["grade_level"]), []).append(s)
        section_id, cc_id = 1, 1
        for (schoolid, grade), roster in sorted(students_by_school_grade.items()):
            teachers = teachers_by_school[schoolid]
            count = math.ceil(len(roster) / STUDENTS_PER_SECTION)
            subjects = CORE_SUBJECTS + [ELECTIVES[grade % len(ELECTIVES)]]
            for code, _ in subjects:
                course = courses[(grade, code)]
                for k in range(count):
                    teacher = teachers[(section_id + k) % len(teachers)]
                    section = {
                        "id": section_id,
                        "dcid": 20000 + section_id,
                        "course_number": course["course_number"],
                        "section_number": str(k + 1),
                        "schoolid": schoolid,
                        "termid": self.year.yearid * 100,
                        "teacher": teacher["schoolstaff_id"],
                        "grade": grade,
                        "created": self.year.first_day - dt.timedelta(days=rng.randrange(10, 60)),
                    }
                    region.sections.append(section)
                    for s in roster[k::count]:
                        region.cc.append(
                            {
                                "id": cc_id,
                                "dcid": 80000 + cc_id,
                                "studentid": s["id"],
                                "sectionid": section_id,
                                "schoolid": schoolid,
                                "termid": section["termid"],
                                "course_number": course["course_number"],
                                "section_number": section["section_number"],
                                "dateenrolled": s["entrydate"],
                                "dateleft": s["withdrawn"] or self.year.last_day + dt.timedelta(1),
                                "student": s,
                                "course": course,
                            }
                        )
                        cc_id += 1
                    section_id += 1

    def _attendance(self, region: Region, rng: random.Random) -> None:
        next_id = 1
        for s in region.students:
            if s["pre_registered"]:
                continue
            end = s["withdrawn"] or self.year.last_day + dt.timedelta(days=1)
            for day in self.school_days:
                if day < s["entrydate"] or day >= end:
                    continue
                r = rng.random()
                if r < s["absence_rate"]:
                    excused_later = rng.random() < 0.25
                    code = "A"
                elif r < s["absence_rate"] + 0.04:
                    excused_later = False
                    code = "T"
                else:
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
                        # a note arrives later and the absence becomes excused
                        "excused_at": recorded + dt.timedelta(days=rng.randrange(1, 6), hours=2)
                        if excused_later
                        else None,
                    }
                )
                next_id += 1

    def _grades(self, region: Region, rng: random.Random) -> None:
        for row in region.cc:
            student = row["student"]
            for q, (storecode, _, _) in enumerate(self.quarters):
                region.grades.append(
                    {
                        "cc": row,
                        "quarter": q,
                        "storecode": storecode,
                        "percent": max(
                            40.0, min(100.0, round(rng.gauss(student["ability"], 6), 1))
                        ),
                        "drift": round(rng.uniform(-1.5, 1.5), 2),
                    }
                )
        prior_id = 1
        for s in region.students:
            if not s["returning"]:
                continue
            for code, name in CORE_SUBJECTS:
                grade = s["grade_level"] - 1
                region.prior_grades.append(
                    {
                        "dcid": 600000 + prior_id,
                        "studentid": s["id"],
                        "schoolid": s["schoolid"],
                        "grade_level": grade,
                        "course_number": f"{code}{'K' if grade == 0 else f'{grade:02d}'}",
                        "course_name": f"{name}",
                        "storecode": "Y1",
                        "termid": (self.year.yearid - 1) * 100,
                        "percent": max(40.0, min(100.0, round(rng.gauss(s["ability"], 6), 1))),
                        "stored": _ts(dt.date(self.year.start_year, 6, 24), rng),
                    }
                )
                prior_id += 1

    def _logs(self, region: Region, rng: random.Random) -> None:
        next_id = 1
        for s in region.students:
            if s["pre_registered"]:
                continue
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
                        "schoolid": s["schoolid"],
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
        from sandbox import vendors

        district = District(seed=self.seed, scale=self.scale, as_of=as_of, year=self.year)
        for name, region in self.regions.items():
            district.sis[name] = sis_view(self, region, as_of)
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
    adp_gl: dict[dt.date, list[dict]] = field(default_factory=dict)
    adp_roster: list[dict] = field(default_factory=list)
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


def sis_view(world: World, region: Region, as_of: dt.date) -> dict[str, list[dict]]:
    """PowerSchool's tables on ``as_of``."""
    year = world.year
    cutoff = _at(as_of + dt.timedelta(days=1), 0)  # everything up to the end of as_of
    first = year.first_day
    yid = year.yearid
    t: dict[str, list[dict]] = {}
    t["schools"] = [dict(s) for s in region.schools]

    students, core, nj, userfields, reenroll, spenroll = [], [], [], [], [], []
    visible: set[int] = set()
    for s in region.students:
        if _at(s["created"]) >= cutoff:
            continue
        visible.add(s["id"])
        status, exitdate = (PRE_REGISTERED if s["pre_registered"] else ACTIVE), s["exitdate"]
        changes = [_at(s["created"], 9)] + [_at(d, 13) for d in s["edits"]]
        if s["withdrawn"] and s["withdrawn"] <= as_of:
            status, exitdate = TRANSFERRED_OUT, s["withdrawn"]
            changes.append(_at(s["withdrawn"], 15))
        whenmodified = max(c for c in changes if c < cutoff)
        students.append(
            {
                "id": s["id"],
                "dcid": s["dcid"],
                "student_number": s["student_number"],
                "state_studentnumber": s["state_studentnumber"],
                "first_name": s["first_name"],
                "last_name": s["last_name"],
                "schoolid": s["schoolid"],
                "grade_level": s["grade_level"],
                "enroll_status": status,
                "entrydate": s["entrydate"],
                "exitdate": exitdate,
                "dob": s["dob"],
                "gender": s["gender"],
                "ethnicity": s["ethnicity"],
                "whenmodified": whenmodified,
            }
        )
        created = _at(s["created"], 9)
        core.append(
            {
                "dcid": 90000 + s["id"],
                "studentsdcid": s["dcid"],
                "primarylanguage": s["language"],
                "lep_status": "Y" if s["lep"] else "N",
                "whenmodified": created,
            }
        )
        nj.append(
            {
                "studentsdcid": s["dcid"],
                "specialed_classification": s["iep"] or None,
                "iepbegin_date": s["entrydate"] if s["iep"] else None,
                "iepend_date": dt.date(first.year + 1, 6, 30) if s["iep"] else None,
                "whenmodified": created,
            }
        )
        userfields.append(
            {
                "studentsdcid": s["dcid"],
                "c_504_status": "Y" if s["c504"] else "N",
                "whenmodified": created,
            }
        )
        if s["returning"]:
            reenroll.append(
                {
                    "id": s["id"],
                    "dcid": 100000 + s["id"],
                    "studentid": s["id"],
                    "schoolid": s["schoolid"],
                    "grade_level": s["grade_level"] - 1,
                    "entrydate": dt.date(first.year - 1, 9, 3),
                    "exitdate": dt.date(first.year, 6, 19),
                    "entrycode": "R1",
                    "exitcode": "E1",
                    "whenmodified": _at(dt.date(first.year, 6, 20), 16),
                }
            )
        withdrawn = s["withdrawn"] is not None and s["withdrawn"] <= as_of
        for program, flag in ((1, s["iep"]), (2, s["lep"])):
            if flag and not s["pre_registered"]:
                spenroll.append(
                    {
                        "id": s["id"] * 10 + program,
                        "dcid": 110000 + s["id"] * 10 + program,
                        "studentid": s["id"],
                        "programid": program,
                        "schoolid": s["schoolid"],
                        "gradelevel": s["grade_level"],
                        "enter_date": s["entrydate"],
                        "exit_date": s["withdrawn"]
                        if withdrawn
                        else dt.date(first.year + 1, 6, 30),
                        "whenmodified": _at(s["withdrawn"], 15) if withdrawn else created,
                    }
                )
    t["students"] = students
    t["studentcorefields"] = core
    t["s_nj_stu_x"] = nj
    t["u_studentsuserfields"] = userfields
    t["reenrollments"] = reenroll
    t["spenrollments"] = spenroll

    users, schoolstaff = [], []
    for m in region.staff:
        left = m["left"] is not None and m["left"] <= as_of
        created = _at(m["hired"], 10)
        users.append(
            {
                "dcid": m["users_dcid"],
                "first_name": m["first_name"],
                "last_name": m["last_name"],
                "email_addr": m["email_addr"],
                "teachernumber": m["teachernumber"],
                "loginid": m["loginid"],
                "homeschoolid": m["homeschoolid"],
                "whenmodified": _at(m["left"], 16) if left else created,
            }
        )
        schoolstaff.append(
            {
                "id": m["schoolstaff_id"],
                "dcid": m["schoolstaff_id"] + 100000,
                "users_dcid": m["users_dcid"],
                "schoolid": m["homeschoolid"],
                "status": 2 if left else 1,
                "staffstatus": 1 if m["is_teacher"] else 2,
                "whenmodified": _at(m["left"], 16) if left else created,
            }
        )
    t["users"] = users
    t["schoolstaff"] = schoolstaff

    t["courses"] = [
        {
            k: c[k]
            for k in ("id", "dcid", "course_number", "course_name", "credit_hours", "credittype")
        }
        | {"whenmodified": _at(first - dt.timedelta(days=90))}
        for c in region.courses
    ]
    t["sections"] = [
        {
            k: s[k]
            for k in (
                "id",
                "dcid",
                "course_number",
                "section_number",
                "schoolid",
                "termid",
                "teacher",
            )
        }
        | {"whenmodified": _at(s["created"], 11)}
        for s in region.sections
    ]
    t["cc"] = [
        {
            k: c[k]
            for k in (
                "id",
                "dcid",
                "studentid",
                "sectionid",
                "schoolid",
                "termid",
                "course_number",
                "section_number",
                "dateenrolled",
            )
        }
        | {
            "dateleft": c["dateleft"]
            if c["dateleft"] <= as_of
            else year.last_day + dt.timedelta(days=1),
            "whenmodified": _at(c["dateleft"], 15)
            if c["dateleft"] <= as_of
            else _at(c["student"]["created"], 9),
        }
        for c in region.cc
        if c["studentid"] in visible
    ]

    terms, termbins = [], []
    for school in region.schools:
        sid = school["school_number"]
        terms.append(
            {
                "id": yid * 100,
                "dcid": yid * 1000 + sid,
                "name": f"{year.start_year}-{year.start_year + 1}",
                "abbreviation": f"{year.start_year % 100}-{(year.start_year + 1) % 100}",
                "firstday": first,
                "lastday": year.last_day,
                "yearid": yid,
                "schoolid": sid,
                "portion": 1,
                "whenmodified": _at(dt.date(year.start_year, 6, 1)),
            }
        )
        for q, (code, start, end) in enumerate(world.quarters):
            termbins.append(
                {
                    "id": yid * 100 + q + 1,
                    "dcid": sid * 1000 + q + 1,
                    "termid": yid * 100,
                    "schoolid": sid,
                    "storecode": code,
                    "date1": start,
                    "date2": end,
                    "whenmodified": _at(dt.date(year.start_year, 6, 1)),
                }
            )
    t["terms"] = terms
    t["termbins"] = termbins

    t["calendar_day"] = []
    in_session = set(world.school_days)
    n = 1
    for school in region.schools:
        day = first
        while day <= year.last_day:
            if day.weekday() < 5:
                on = 1 if day in in_session else 0
                t["calendar_day"].append(
                    {
                        "id": n,
                        "dcid": 200000 + n,
                        "schoolid": school["school_number"],
                        "date_value": day,
                        "insession": on,
                        "membershipvalue": float(on),
                        "whenmodified": _at(dt.date(year.start_year, 6, 1)),
                    }
                )
                n += 1
            day += dt.timedelta(days=1)

    codes = []
    for school in region.schools:
        for k, (code, description, presence) in enumerate(ATTENDANCE_CODES):
            codes.append(
                {
                    "id": school["school_number"] * 10 + k + 1,
                    "dcid": school["school_number"] * 10 + k + 1,
                    "schoolid": school["school_number"],
                    "yearid": yid,
                    "att_code": code,
                    "description": description,
                    "presence_status_cd": presence,
                    "calculate_ada_yn": 1,
                    "whenmodified": _at(dt.date(year.start_year, 6, 1)),
                }
            )
    t["attendance_code"] = codes
    code_id = {(c["schoolid"], c["att_code"]): c["id"] for c in codes}

    attendance = []
    for a in region.absences:
        if a["recorded"] >= cutoff:
            continue
        code, modified = a["code"], a["recorded"]
        if a["excused_at"] is not None and a["excused_at"] < cutoff:
            code, modified = "AE", a["excused_at"]
        attendance.append(
            {
                "id": a["id"],
                "dcid": a["dcid"],
                "studentid": a["studentid"],
                "schoolid": a["schoolid"],
                "att_date": a["att_date"],
                "attendance_codeid": code_id[(a["schoolid"], code)],
                "att_mode_code": "ATT_ModeDaily",
                "yearid": yid,
                "transaction_date": a["recorded"],
                "whenmodified": modified,
            }
        )
    t["attendance"] = attendance

    stored, progress = [], []
    for g in region.grades:
        row = g["cc"]
        storecode, start, end = world.quarters[g["quarter"]]
        if start > as_of or row["dateenrolled"] > end or row["studentid"] not in visible:
            continue
        if row["dateleft"] <= start:
            continue
        # teachers post grades on Fridays: the grade moves only when whenmodified does
        updated = _at(_last_friday(min(as_of, end), start), 17)
        weeks_left = max(0, (end - updated.date()).days // 7)
        percent = round(max(0.0, min(100.0, g["percent"] - g["drift"] * weeks_left)), 1)
        progress.append(
            {
                "id": row["id"] * 10 + g["quarter"],
                "dcid": 900000 + row["id"] * 10 + g["quarter"],
                "studentid": row["studentid"],
                "sectionid": row["sectionid"],
                "finalgradename": storecode,
                "grade": _letter(percent),
                "percent": percent,
                "startdate": start,
                "enddate": end,
                "lastgradeupdate": updated,
                "transaction_date": updated,
                "whenmodified": updated,
            }
        )
        stored_on = end + dt.timedelta(days=3)
        if stored_on <= as_of:
            stored.append(
                {
                    "dcid": 950000 + row["id"] * 10 + g["quarter"],
                    "studentid": row["studentid"],
                    "schoolid": row["schoolid"],
                    "termid": yid * 100 + g["quarter"] + 1,
                    "storecode": storecode,
                    "grade_level": row["course"]["grade"],
                    "course_number": row["course_number"],
                    "course_name": row["course"]["course_name"],
                    "grade": _letter(g["percent"]),
                    "percent": g["percent"],
                    "gpa_points": _gpa(g["percent"]),
                    "earnedcrhrs": row["course"]["credit_hours"] / 4,
                    "datestored": stored_on,
                    "transaction_date": _at(stored_on, 18),
                    "whenmodified": _at(stored_on, 18),
                }
            )
    for p in region.prior_grades:
        if p["studentid"] in visible:
            stored.append(
                {
                    "dcid": p["dcid"],
                    "studentid": p["studentid"],
                    "schoolid": p["schoolid"],
                    "termid": p["termid"],
                    "storecode": "Y1",
                    "grade_level": p["grade_level"],
                    "course_number": p["course_number"],
                    "course_name": p["course_name"],
                    "grade": _letter(p["percent"]),
                    "percent": p["percent"],
                    "gpa_points": _gpa(p["percent"]),
                    "earnedcrhrs": 0.0,
                    "datestored": p["stored"].date(),
                    "transaction_date": p["stored"],
                    "whenmodified": p["stored"],
                }
            )
    t["storedgrades"] = stored
    t["pgfinalgrades"] = progress

    t["log"] = [
        {k: v for k, v in entry.items() if k != "created"} | {"whenmodified": entry["created"]}
        for entry in region.logs
        if entry["created"] < cutoff
    ]
    t["gen"] = [
        {
            "id": k + 1,
            "dcid": 500 + k + 1,
            "cat": "ethnicity",
            "name": code,
            "value": description,
            "yearid": 0,
            "whenmodified": _at(dt.date(2015, 7, 1)),
        }
        for k, (code, description) in enumerate(ETHNICITIES)
    ]
    t.update(_schedule_tables(region, yid, _at(dt.date(year.start_year, 6, 1))))
    return t


def _schedule_tables(region: Region, yid: int, modified: dt.datetime) -> dict[str, list[dict]]:
    """The master-schedule lookups of each school: periods, cycle days, bells, FTE."""
    out: dict[str, list[dict]] = {"period": [], "cycle_day": [], "bell_schedule": [], "fte": []}
    for school in region.schools:
        sid = school["school_number"]
        for n in range(1, 9):
            out["period"].append(
                {
                    "id": sid * 100 + n,
                    "dcid": sid * 100 + n,
                    "schoolid": sid,
                    "year_id": yid,
                    "period_number": n,
                    "name": f"Period {n}",
                    "abbreviation": f"P{n}",
                    "sort_order": n,
                    "whenmodified": modified,
                }
            )
        for n, letter in enumerate("ABCDE", start=1):
            out["cycle_day"].append(
                {
                    "id": sid * 10 + n,
                    "dcid": sid * 10 + n,
                    "schoolid": sid,
                    "year_id": yid,
                    "day_number": n,
                    "letter": letter,
                    "abbreviation": f"{letter}-Day",
                    "day_name": f"Day {letter}",
                    "whenmodified": modified,
                }
            )
        for n, name in enumerate(("Regular Day", "Early Dismissal"), start=1):
            out["bell_schedule"].append(
                {
                    "id": sid * 10 + n,
                    "dcid": sid * 10 + n,
                    "schoolid": sid,
                    "year_id": yid,
                    "name": name,
                    "attendance_conversion_id": 1,
                    "whenmodified": modified,
                }
            )
        out["fte"].append(
            {
                "id": sid,
                "dcid": sid,
                "schoolid": sid,
                "yearid": yid,
                "name": "Full Time",
                "description": "Full-time enrollment",
                "whenmodified": modified,
            }
        )
    return out


def _last_friday(day: dt.date, floor: dt.date) -> dt.date:
    friday = day - dt.timedelta(days=(day.weekday() - 4) % 7)
    return max(friday, floor)


def _letter(percent: float) -> str:
    for cut, letter in ((90, "A"), (80, "B"), (70, "C"), (65, "D")):
        if percent >= cut:
            return letter
    return "F"


def _gpa(percent: float) -> float:
    return {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0, "F": 0.0}[_letter(percent)]
