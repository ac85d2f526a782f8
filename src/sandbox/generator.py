"""A seeded, deterministic school network: the data every sandbox server serves.

The generator knows nothing about teamster's warehouse code; the ground truth it
writes is computed here, from the same rows it hands to the servers, so tests can
compare the warehouse against it independently.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

# Region -> (city, state, how its PowerSchool SIS is reached, school plan).
# A school plan entry is (name, abbreviation, low grade, high grade); K is 0.
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

FIRST_NAMES = [
    "Aaliyah",
    "Amir",
    "Ana",
    "Andre",
    "Angel",
    "Ariana",
    "Ava",
    "Brandon",
    "Brianna",
    "Camila",
    "Carlos",
    "Chloe",
    "Daniel",
    "Darius",
    "David",
    "Destiny",
    "Diego",
    "Elijah",
    "Emily",
    "Emmanuel",
    "Gabriel",
    "Genesis",
    "Isabella",
    "Isaiah",
    "Jada",
    "Jalen",
    "Jasmine",
    "Jayden",
    "Jordan",
    "Jose",
    "Josiah",
    "Kayla",
    "Kevin",
    "Layla",
    "Leah",
    "Luis",
    "Malik",
    "Maria",
    "Mariah",
    "Mateo",
    "Maya",
    "Michael",
    "Nevaeh",
    "Nia",
    "Olivia",
    "Samuel",
    "Sofia",
    "Tiana",
    "Xavier",
    "Zion",
]
LAST_NAMES = [
    "Allen",
    "Alvarez",
    "Bailey",
    "Brown",
    "Castillo",
    "Cruz",
    "Davis",
    "Diaz",
    "Edwards",
    "Flores",
    "Garcia",
    "Gomez",
    "Green",
    "Harris",
    "Hernandez",
    "Jackson",
    "Johnson",
    "Jones",
    "King",
    "Lopez",
    "Martinez",
    "Mendoza",
    "Miller",
    "Mitchell",
    "Moore",
    "Morales",
    "Nguyen",
    "Ortiz",
    "Perez",
    "Ramirez",
    "Reyes",
    "Rivera",
    "Robinson",
    "Rodriguez",
    "Sanchez",
    "Smith",
    "Taylor",
    "Thomas",
    "Thompson",
    "Torres",
    "Walker",
    "Washington",
    "White",
    "Williams",
    "Wilson",
    "Young",
]

# PowerSchool's enroll_status codes.
ACTIVE, PRE_REGISTERED, TRANSFERRED_OUT = 0, -1, 2


@dataclass
class District:
    """All generated rows, by region then PowerSchool table name, plus the truth."""

    seed: int
    scale: float
    school_year_start: dt.date
    as_of: dt.date
    tables: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)

    def truth(self) -> dict[str, Any]:
        """Counts computed from the generated rows, never from the warehouse."""
        students_by_region = {}
        students_total_by_region = {}
        schools_by_region = {}
        for region, tables in self.tables.items():
            students = tables["students"]
            students_total_by_region[region] = len(students)
            students_by_region[region] = sum(1 for s in students if s["enroll_status"] == ACTIVE)
            schools_by_region[region] = len(tables["schools"])
        return {
            "seed": self.seed,
            "scale": self.scale,
            "as_of": self.as_of.isoformat(),
            "students_by_region": students_by_region,
            "students_total_by_region": students_total_by_region,
            "schools_by_region": schools_by_region,
        }


def school_year_start(as_of: dt.date) -> dt.date:
    """PowerSchool years here start in early September; July starts the fiscal year."""
    year = as_of.year if as_of.month >= 7 else as_of.year - 1
    return dt.date(year, 9, 3)


def generate(seed: int = 7, scale: float = 1.0, as_of: dt.date | None = None) -> District:
    """Build a district; the same seed, scale and date give the same rows."""
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    as_of = as_of or dt.date(2026, 11, 30)
    district = District(
        seed=seed, scale=scale, school_year_start=school_year_start(as_of), as_of=as_of
    )
    for region_index, (region, plan) in enumerate(REGIONS.items()):
        rng = random.Random(f"{seed}:{region}")
        district.tables[region] = _region_tables(rng, region_index, plan, scale, district)
    return district


def _timestamp(rng: random.Random, start: dt.date, end: dt.date) -> dt.datetime:
    span = max((end - start).days, 1)
    day = start + dt.timedelta(days=rng.randrange(span))
    return dt.datetime.combine(day, dt.time(rng.randrange(6, 20), rng.randrange(60)))


def _region_tables(
    rng: random.Random, region_index: int, plan: dict[str, Any], scale: float, district: District
) -> dict[str, list[dict[str, Any]]]:
    year_start = district.school_year_start
    as_of = district.as_of
    base_id = (region_index + 1) * 100  # school numbers never collide across regions
    schools = []
    for i, (name, abbreviation, low, high) in enumerate(plan["schools"]):
        schools.append(
            {
                "id": i + 1,
                "dcid": 1000 + i + 1,
                "school_number": base_id + i + 1,
                "name": name,
                "abbreviation": abbreviation,
                "low_grade": low,
                "high_grade": high,
                "schoolcity": plan["city"],
                "schoolstate": plan["state"],
                "whenmodified": _timestamp(rng, year_start - dt.timedelta(days=400), year_start),
            }
        )

    n_students = max(1, round(STUDENTS_PER_REGION_AT_SCALE_1 * scale))
    students = []
    for n in range(n_students):
        school = schools[rng.randrange(len(schools))]
        grade = rng.randint(school["low_grade"], school["high_grade"])
        roll = rng.random()
        entrydate = year_start
        days_so_far = max((as_of - year_start).days, 6)
        if roll < 0.05:  # left mid-year
            status = TRANSFERRED_OUT
            exitdate = year_start + dt.timedelta(days=rng.randrange(5, days_so_far))
        elif roll < 0.07:  # enrolled for next year, not yet attending
            status = PRE_REGISTERED
            entrydate = dt.date(year_start.year + 1, 9, 1)
            exitdate = dt.date(year_start.year + 2, 6, 30)
        else:
            status = ACTIVE
            if roll > 0.92:  # joined after the first day
                entrydate = year_start + dt.timedelta(days=rng.randrange(1, days_so_far))
            exitdate = dt.date(year_start.year + 1, 6, 30)
        age = 5 + grade
        dob = dt.date(year_start.year - age - 1, 9, 1) + dt.timedelta(days=rng.randrange(365))
        student_id = n + 1
        students.append(
            {
                "id": student_id,
                "dcid": 50000 + student_id,
                "student_number": (region_index + 1) * 1_000_000 + student_id,
                "state_studentnumber": f"{rng.randrange(10**9, 10**10)}",
                "first_name": rng.choice(FIRST_NAMES),
                "last_name": rng.choice(LAST_NAMES),
                "schoolid": school["school_number"],
                "grade_level": grade,
                "enroll_status": status,
                "entrydate": entrydate,
                "exitdate": exitdate,
                "dob": dob,
                "gender": rng.choice("MF"),
                "whenmodified": _timestamp(rng, year_start - dt.timedelta(days=60), as_of),
            }
        )
    return {"schools": schools, "students": students}
