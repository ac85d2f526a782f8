"""A seeded, deterministic school network: the data every sandbox server serves.

``World`` draws a whole school year once (every random choice happens there), and
``World.view(as_of)`` shows what the systems hold on a given day: rows whose events
have happened, each in its state on that day and stamped the way PowerSchool stamps
it (``sandbox.sis``). Advancing the sandbox is a later view of the same world, so
modified rows and new rows appear exactly as they would in a live SIS. The ground
truth is computed from the view's rows, never from anything teamster writes.

The year is as untidy as a real district's: names in every script and shape
(``sandbox.names``), students who withdraw and come back, change schools inside a
region, move to another region (a new record there), change grade mid-year, twins who
share a name and a birthday, planned sections nobody was scheduled into, days a school
took no attendance, absences deleted as entered by mistake, and stored grades changed
after their term. Each student's enrollments of the year are ``stints``: PowerSchool
keeps the latest on ``students`` and moves the earlier ones to ``reenrollments``.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field
from typing import Any

from sandbox import names
from sandbox.calendar import SchoolYear, school_year, school_year_of
from sandbox.stints import leave, stint, stint_end
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

# How often each untidy case happens, as a share of a region's students (or sections,
# absences, grades); each is drawn at least once per region where it can happen, so
# even a small district has every case. The shares are a real network's order of
# magnitude: a few percent of students change enrollment mid-year.
REENROL_SHARE = 0.015  # withdraw, then come back weeks later
TRANSFER_SHARE = 0.015  # move to another school of the region offering their grade
GRADE_CHANGE_SHARE = 0.006  # promoted or retained mid-year, at the same school
MOVE_SHARE = 0.01  # leave for another region: a new record there
TWIN_SHARE = 0.006  # pairs of students with one name and one birth date
EMPTY_SECTION_SHARE = 0.03  # planned sections with nobody scheduled in
NO_ATTENDANCE_SHARE = 0.5  # schools with a day nobody took attendance
DELETED_ABSENCE_SHARE = 0.01  # absences a clerk deletes days later (entered by mistake)
LATE_GRADE_CHANGE_SHARE = 0.01  # stored grades changed after the term ended

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


def final_percent(quarters: list[float]) -> float:
    """A course's final (Y1) percent: the mean of its quarters'."""
    return round(sum(quarters) / len(quarters), 1)


def _regraded(percent: float, rng: random.Random) -> float:
    """A changed grade: one letter up (a made-up assignment, summer school), or an A
    corrected down to a B."""
    if percent >= 90:
        return round(rng.uniform(85.0, 89.9), 1)
    target = next(cut for cut in (65.0, 70.0, 80.0, 90.0) if cut > percent)
    return round(rng.uniform(target, target + 4.9), 1)


def _open(student: dict) -> None:
    """A student's first enrollment of the year, from the drawn school, grade, dates."""
    first = stint(
        student["schoolid"],
        student["grade_level"],
        student["entrydate"],
        student["exitdate"],
        student["created"],
        track=student["track"],
        entrycode="R1" if student["returning"] else "E1",
    )
    if student["withdrawn"] is not None:
        leave(first, student["withdrawn"], "T1")
    student["stints"] = [first]


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
    # (school number, day): in session, but nobody took attendance
    no_attendance: set[tuple[int, dt.date]] = field(default_factory=set)

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
        # students first in every region, then the moves between regions (a new record
        # in the region a student moves to), then each region's year around its students
        rngs = {plan.name: random.Random(f"{seed}:{plan.name}") for plan in REGISTRY.regions}
        self.regions = {
            plan.name: self._enrollment(plan.name, i, plan, rngs[plan.name])
            for i, plan in enumerate(REGISTRY.regions)
        }
        self._moves_between_regions(random.Random(f"{seed}:moves"))
        for name, region in self.regions.items():
            self._year(region, rngs[name])

    @property
    def semesters(self) -> list[tuple[str, dt.date, dt.date]]:
        """(name, first day, last day) of S1 and S2: two quarters each."""
        q = self.quarters
        return [("S1", q[0][1], q[1][2]), ("S2", q[2][1], q[3][2])]

    # --- drawing the year -------------------------------------------------------------

    def _enrollment(self, name: str, index: int, plan: RegionPlan, rng: random.Random) -> Region:
        """A region's schools and students with every enrollment of their year."""
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
        self._twins(region, rng)
        self._graduates(region, rng)
        self._invalid_records(region, rng)
        self._enrollment_changes(region, rng)
        return region

    def _year(self, region: Region, rng: random.Random) -> None:
        """Everything around a region's students: staff, schedules, attendance, grades."""
        self._staff(region, rng)
        self._courses_and_sections(region, rng)
        self._attendance(region, rng)
        self._grades(region, rng)
        self._logs(region, rng)

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
                "first_name": names.first_name(rng),
                "last_name": names.last_name(rng),
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
            _open(student)
            region.students.append(student)

    def _twins(self, region: Region, rng: random.Random) -> None:
        """Two different students with one name and one birth date at one school and
        grade: twins given the same name, or namesakes. They look like a duplicate
        record and are not: both count."""
        pool = [s for s in region.students if s["kind"] == "enrolled"]
        pairs = max(1, round(TWIN_SHARE * len(pool)))
        if len(pool) < 2 * pairs:
            return
        chosen = rng.sample(pool, 2 * pairs)
        for one, other in zip(chosen[::2], chosen[1::2], strict=True):
            for key in (
                "first_name",
                "last_name",
                "dob",
                "schoolid",
                "grade_level",
                "track",
                "created",
                "returning",
                "ethnicity",
                "language",
            ):
                other[key] = one[key]
            other["twin_of"], one["twin_of"] = one["id"], other["id"]
            _open(other)

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
                        "first_name": names.first_name(rng),
                        "last_name": names.last_name(rng),
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
                _open(region.students[-1])

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
                    "twin_of": None,
                }
            )
            _open(region.students[-1])

    def _enrollment_changes(self, region: Region, rng: random.Random) -> None:
        """Mid-year changes of enrollment, each to a different student enrolled all year:
        a withdrawal and a return weeks later (to the same school mostly), a transfer
        to another school of the region, and a grade change at the same school. Each
        is what PowerSchool does: the enrollment so far ends (it becomes a
        re-enrollment row) and a new one starts on the student record."""
        days = self.school_days
        schools = self.real_schools(region)

        def offering(grade: int, besides: int | None = None) -> list[dict]:
            return [
                s
                for s in schools
                if s["low_grade"] <= grade <= s["high_grade"] and s["school_number"] != besides
            ]

        pool = [s for s in region.students if s["kind"] == "enrolled" and not s.get("twin_of")]
        rng.shuffle(pool)
        n = len(pool)

        def take(share: float, fits) -> list[dict]:
            chosen = [s for s in pool if fits(s)][: max(1, round(share * n))]
            for s in chosen:
                pool.remove(s)
            return chosen

        def follow(s: dict, left: dt.date, code: str, school: dict, grade: int, entry: dt.date):
            current = s["stints"][-1]
            leave(current, left, code)
            same = school["school_number"] == current["schoolid"]
            track = current["track"] if same else rng.choice("AB") if school["tracks"] else None
            entrycode = {"T1": "R2", "TR": "TR", "GC": "GC"}[code]
            s["stints"].append(
                stint(
                    school["school_number"],
                    grade,
                    entry,
                    current["exitdate"],
                    entry,
                    track=track,
                    entrycode=entrycode,
                )
            )

        for s in take(REENROL_SHARE, lambda s: True):
            k = rng.randrange(10, len(days) - 45)
            back = days[k + rng.randrange(3, 30)]
            others = offering(s["grade_level"], besides=s["schoolid"])
            school = next(x for x in schools if x["school_number"] == s["schoolid"])
            if others and rng.random() < 0.25:
                school = rng.choice(others)
            follow(s, days[k], "T1", school, s["grade_level"], back)
        for s in take(TRANSFER_SHARE, lambda s: offering(s["grade_level"], s["schoolid"])):
            day = days[rng.randrange(10, len(days) - 20)]
            school = rng.choice(offering(s["grade_level"], s["schoolid"]))
            follow(s, day, "TR", school, s["grade_level"], day)

        def new_grades(s: dict) -> list[int]:
            school = next(x for x in schools if x["school_number"] == s["schoolid"])
            up_first = [s["grade_level"] + 1, s["grade_level"] - 1]
            return [g for g in up_first if school["low_grade"] <= g <= school["high_grade"]]

        for s in take(GRADE_CHANGE_SHARE, new_grades):
            day = days[rng.randrange(20, len(days) - 20)]
            grades = new_grades(s)
            grade = grades[0] if len(grades) == 1 or rng.random() < 0.7 else grades[1]
            school = next(x for x in schools if x["school_number"] == s["schoolid"])
            follow(s, day, "GC", school, grade, day)

    def _moves_between_regions(self, rng: random.Random) -> None:
        """Students who move to another region: they leave (enroll_status 2) and the
        other region's PowerSchool, a separate instance, gets a new record with its own
        student number from the day they arrive. The state's student id follows them
        inside a state. Every region sends one to the next region (in the registry's
        order) that offers their grade, so every region also receives."""
        if len(self.regions) < 2:
            return
        days = self.school_days
        order = list(self.regions.values())
        offers = {
            r.name: {
                g: [s for s in self.real_schools(r) if s["low_grade"] <= g <= s["high_grade"]]
                for g in range(13)
            }
            for r in order
        }
        moves: list[tuple[Region, dict, Region]] = []
        for i, region in enumerate(order):
            pool = [
                s
                for s in region.students
                if s["kind"] == "enrolled" and len(s["stints"]) == 1 and not s.get("twin_of")
            ]
            rng.shuffle(pool)
            later = order[i + 1 :] + order[:i]
            first = next((s for s in pool if offers[later[0].name][s["grade_level"]]), None)
            if first is None:
                continue
            moves.append((region, first, later[0]))
            count = max(1, round(MOVE_SHARE * len(pool)))
            for s in [s for s in pool if s is not first][: count - 1]:
                targets = [r for r in later if offers[r.name][s["grade_level"]]]
                if targets:
                    moves.append((region, s, rng.choice(targets)))
        for source, s, target in moves:
            day = days[rng.randrange(15, len(days) - 20)]
            s["kind"], s["withdrawn"], s["moved_to"] = "withdrawn", day, target.name
            leave(s["stints"][-1], day, "T1")
            school = rng.choice(offers[target.name][s["grade_level"]])
            n = len(target.students) + 1
            same_state = source.plan.state == target.plan.state
            arrival = {
                **{
                    k: s[k]
                    for k in (
                        "first_name",
                        "last_name",
                        "dob",
                        "gender",
                        "ethnicity",
                        "grade_level",
                        "absence_rate",
                        "ability",
                        "iep",
                        "lep",
                        "c504",
                        "language",
                    )
                },
                "id": n,
                "dcid": 50000 + n,
                "student_number": (target.index + 1) * 1_000_000 + n,
                "state_studentnumber": s["state_studentnumber"]
                if same_state
                else str(rng.randrange(10**9, 10**10)),
                "schoolid": school["school_number"],
                "entrydate": day,
                "exitdate": s["exitdate"],
                "created": day,  # registered the day they arrive
                "kind": "late",
                "withdrawn": None,
                "pre_registered": False,
                "returning": False,
                "part_time": False,
                "track": rng.choice("AB") if school["tracks"] else None,
                "edits": [],
                "lep_spelling": rng.choice(["Y", "YES", "1"]),
                "non_lep_spelling": rng.choice(["N", "NO", "0", "", None]),
                "state_504_filled": rng.random() < 0.5,
                "ext_edit": None,
                "twin_of": None,
                "arrived_from": source.name,
            }
            _open(arrival)
            target.students.append(arrival)

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
                first, last = names.first_name(rng), names.last_name(rng)
                # logins and addresses are ASCII: the district folds the name (a name in
                # another script gives none, and the login is the account number alone)
                login = f"{names.login_part(first)[:1]}{names.login_part(last)}{next_id}"
                if not login[0].isalpha():
                    login = f"staff{login}"
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
        """Core courses meet all year; electives one semester each. A student is
        scheduled into the sections of each enrollment's school and grade. Some students
        swap sections once (PowerSchool marks the dropped enrollment with negative
        section and term ids); when an enrollment ends (the student leaves, transfers
        or changes grade) every course enrollment still running is ended the same way,
        on the exit date. A few planned sections get nobody."""
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
        students_by_school_grade: dict[tuple[int, int], list[tuple[dict, dict]]] = {}
        for s in region.attending():
            for enrollment in s["stints"]:
                key = (enrollment["schoolid"], enrollment["grade_level"])
                students_by_school_grade.setdefault(key, []).append((s, enrollment))
        planned: list[tuple[list[dict], dict]] = []  # every offering's sections and course
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
                planned.append((group, course))
                rows: list[dict] = []
                for k, section in enumerate(group):
                    for s, enrollment in roster[k::count]:
                        entered = max(enrollment["entrydate"], start)
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
                                "stint": enrollment,
                                "course": course,
                                # the first enrollment's schedule exists with the record;
                                # a later one's is made the day it starts
                                "created": s["created"]
                                if enrollment is s["stints"][0]
                                else enrollment["recorded"],
                            }
                        )
                        cc_id += 1
                region.cc.extend(rows)
                cc_id = self._swaps(region, rng, group, rows, cc_id)
        self._exits(region)
        self._empty_sections(region, rng, planned, section_id)

    def _empty_sections(
        self, region: Region, rng: random.Random, planned: list, section_id: int
    ) -> None:
        """One more section of a few offerings, planned with a teacher and a term and
        never given a student (enrollment came in lower than the master schedule
        planned for)."""
        for group, course in rng.sample(planned, max(1, round(EMPTY_SECTION_SHARE * len(planned)))):
            last = group[-1]
            teachers = [
                m for m in region.staff if m["is_teacher"] and m["homeschoolid"] == last["schoolid"]
            ]
            region.sections.append(
                last
                | {
                    "id": section_id,
                    "dcid": 20000 + section_id,
                    "section_number": str(len(group) + 1),
                    "teacher": rng.choice(teachers)["schoolstaff_id"],
                    "course": course,
                    "created": self.year.first_day - dt.timedelta(days=rng.randrange(10, 60)),
                }
            )
            section_id += 1

    def _swaps(
        self, region: Region, rng: random.Random, group: list[dict], rows: list[dict], cc_id: int
    ) -> int:
        """A schedule change: a student moves to another section of the same course, or
        leaves the course when it has one section."""
        for row in rows:
            if rng.random() >= 0.04:
                continue
            section = row["section"]
            ends = min(row["dateleft"], stint_end(row["stint"]))
            days = [d for d in self.school_days if row["dateenrolled"] < d < ends]
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
        """Enrollments that end early (the student withdrew, transferred or changed
        grade): course enrollments running on the exit date end then (dropped); ones
        that would start later are removed, as PowerSchool's exit does."""
        kept = []
        for row in region.cc:
            left = row["stint"]["left"]
            if left is not None:
                if row["dateenrolled"] >= left:
                    continue
                if row["dateleft"] > left:
                    row["dateleft"] = left
                    row["dropped_on"] = left
            kept.append(row)
        region.cc = kept

    def _attendance(self, region: Region, rng: random.Random) -> None:
        """Exceptions to present, per enrollment at its school. On a day a school took
        no attendance there are none (everyone counts present, as PowerSchool's
        positive attendance has it); a few absences are deleted days later as entered
        by mistake (PowerSchool deletes the row)."""
        schools = [s["school_number"] for s in self.real_schools(region)]
        missed = rng.sample(schools, max(1, round(NO_ATTENDANCE_SHARE * len(schools))))
        first_quarter = [d for d in self.school_days[5:] if d <= self.quarters[0][2]]
        for k, school in enumerate(sorted(missed)):
            # the first in the first quarter, so that a view in the fall has one
            pool = first_quarter if k == 0 else self.school_days
            region.no_attendance.add((school, pool[rng.randrange(len(pool))]))
        next_id = 1
        for s in region.students:
            if s["kind"] not in ("enrolled", "late", "withdrawn", "invalid"):
                continue
            for enrollment in s["stints"]:
                next_id = self._exceptions(region, rng, s, enrollment, next_id)
        absences = [a for a in region.absences if a["code"] == "A"]
        for a in rng.sample(absences, max(1, round(DELETED_ABSENCE_SHARE * len(absences)))):
            a["deleted_at"] = a["recorded"] + dt.timedelta(
                days=rng.randrange(1, 8), hours=rng.randrange(0, 6)
            )
            a["excused_at"] = None

    def _exceptions(
        self, region: Region, rng: random.Random, s: dict, enrollment: dict, next_id: int
    ) -> int:
        """The attendance records of one enrollment; returns the next record id."""
        end = stint_end(enrollment)
        school = enrollment["schoolid"]
        for day in self.school_days:
            if day < enrollment["entrydate"] or day >= end:
                continue
            if enrollment["track"] == "B" and day in region.track_days_off:
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
            if code is None or (school, day) in region.no_attendance:
                continue
            recorded = _ts(day, rng, 8, 11)
            region.absences.append(
                {
                    "id": next_id,
                    "dcid": 400000 + next_id,
                    "studentid": s["id"],
                    "schoolid": school,
                    "att_date": day,
                    "code": code,
                    "recorded": recorded,
                    # a note arrives later and the record becomes excused
                    "excused_code": excused,
                    "excused_at": recorded + dt.timedelta(days=rng.randrange(1, 6), hours=2)
                    if excused and rng.random() < 0.25
                    else None,
                    "deleted_at": None,
                }
            )
            next_id += 1
        return next_id

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
        self._late_grade_changes(region, rng)

    def _late_grade_changes(self, region: Region, rng: random.Random) -> None:
        """Stored grades changed after their term ended (a grade dispute, a missing
        assignment graded late, last year's F made up in summer school): the stored row
        takes the new grade and its transaction_date moves; datestored does not."""
        days = self.school_days

        def after(day: dt.date) -> dt.date:
            """The first school day on or after ``day`` (the day itself in the summer)."""
            return next((d for d in days if d >= day), day)

        quarters = [
            g
            for g in region.grades
            if g["cc"]["dateenrolled"] <= self.quarters[g["quarter"]][2] < g["cc"]["dateleft"]
        ]
        for g in rng.sample(quarters, max(1, round(LATE_GRADE_CHANGE_SHARE * len(quarters)))):
            stored = self.quarters[g["quarter"]][2] + dt.timedelta(days=3)
            g["late_change"] = (
                after(stored + dt.timedelta(days=rng.randrange(4, 36))),
                _regraded(g["percent"], rng),
            )
        finals = [
            row
            for row in region.cc
            if row["dateleft"] > row["section"]["end"] - dt.timedelta(days=1)
        ]
        by_cc: dict[int, list[float]] = {}
        for g in region.grades:
            by_cc.setdefault(g["cc"]["id"], []).append(g["percent"])
        for row in rng.sample(finals, max(1, round(LATE_GRADE_CHANGE_SHARE * len(finals)))):
            stored = row["section"]["end"] + dt.timedelta(days=2)
            row["final_change"] = (
                after(stored + dt.timedelta(days=rng.randrange(4, 36))),
                _regraded(final_percent(by_cc[row["id"]]), rng),
            )
        prior = region.prior_grades
        for p in rng.sample(
            prior, min(len(prior), max(1, round(LATE_GRADE_CHANGE_SHARE * len(prior))))
        ):
            # early in the new year: summer school results, or a dispute settled
            p["late_change"] = (days[rng.randrange(3, 40)], _regraded(p["percent"], rng))

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
