"""i-Ready: the diagnostic results export of each region, on Curriculum Associates' SFTP.

What the real export looks like (tests/data/vendor_schemas/iready.yaml): one CSV per
subject under ``/exports/<site folder>/Current_Year/``, named
``diagnostic_results_<ela|math>.csv`` or, in some sites, with a ``_CONFIDENTIAL``
suffix; display headers ("Student ID", "Baseline Diagnostic (Y/N)", "Percent Progress
to Annual Typical Growth (%)"); dates MM/DD/YYYY; grades ``K``, ``1``..``8``; one row per
completed diagnostic, the student's latest flagged "Most Recent Diagnostic YTD (Y/N)" =
Y (older templates call that column "Most Recent Diagnostic (Y/N)"). Schools are named
as i-Ready knows them, which is not PowerSchool's name: the regions' crosswalks
(``code_locations/<region>/config/iready.yaml``) map them.

The sandbox varies what real sites vary, per region and always the same way: the file
suffix, the name of the most-recent column, whole numbers written as decimals. Each
site also has a few demo accounts whose Student ID is not an SIS number.
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.files import csv_bytes, write_if_changed
from sandbox.stints import stint, stint_on
from teamster.core.regions import REGISTRY

if TYPE_CHECKING:
    from sandbox.generator import District, World

# Each region's folder under /exports (the first and third are the real sites' names); a
# region not listed gets one from its state and city (``site_folder``).
SITE_FOLDERS = {
    "kippnewark": "nj-kipp_nj",
    "kippcamden": "nj-kipp_camden",
    "kippmiami": "fl-kipp_miami",
    "kipppaterson": "nj-kipp_paterson",
}
CURRENT_YEAR_FOLDER = "Current_Year"
CONFIDENTIAL_SITES = {"kippnewark", "kippmiami"}  # their files carry _CONFIDENTIAL
OLD_TEMPLATE_SITES = {"kippmiami"}  # "Most Recent Diagnostic (Y/N)"
DECIMAL_SITES = {"kippcamden"}  # whole numbers written like 48.0
DEMO_ACCOUNTS = 2  # per site, taking every diagnostic window
SCHOOL_NUMBER = "_school_number"  # kept beside each row for the truth, never published

SUBJECTS = {"ela": "Reading", "math": "Math"}
WINDOWS = [  # (name, first day, last day) as (month, day); fall is the baseline window
    ("Fall", (9, 10), (10, 10)),
    ("Winter", (1, 10), (2, 10)),
    ("Spring", (5, 10), (6, 5)),
]
RELATIVE_PLACEMENTS = [  # (scale points below mid-on-grade-level at most, placement)
    (0, "Mid or Above Grade Level"),
    (25, "Early On Grade Level"),
    (60, "1 Grade Level Below"),
    (100, "2 Grade Levels Below"),
]
LOWEST_PLACEMENT = "3 or More Grade Levels Below"
# Domains reported per subject: "<domain> Scale Score" and "<domain> Relative Placement".
DOMAINS = {
    "ela": [
        "Phonological Awareness",
        "Phonics",
        "High-Frequency Words",
        "Vocabulary",
        "Comprehension: Overall",
        "Comprehension: Literature",
        "Comprehension: Informational Text",
    ],
    "math": [
        "Number and Operations",
        "Algebra and Algebraic Thinking",
        "Measurement and Data",
        "Geometry",
    ],
}


def most_recent_header(region: str) -> str:
    if region in OLD_TEMPLATE_SITES:
        return "Most Recent Diagnostic (Y/N)"
    return "Most Recent Diagnostic YTD (Y/N)"


def site_folder(region: str) -> str:
    """The region's folder under /exports. A region added after these were written (by
    `teamster new-region`) gets ``new_site_folder``'s, so it is served without editing
    this module."""
    if region in SITE_FOLDERS:
        return SITE_FOLDERS[region]
    plan = REGISTRY.region(region)
    return new_site_folder(plan.state, plan.city)


def new_site_folder(state: str, city: str) -> str:
    """``<state>-kipp_<city>``, as the real sites are named; the scaffold writes the same
    name into a new region's iready.yaml."""
    return f"{state.lower()}-kipp_{re.sub(r'[^a-z0-9]+', '_', city.lower()).strip('_')}"


def file_name(region: str, subject: str) -> str:
    suffix = "_CONFIDENTIAL" if region in CONFIDENTIAL_SITES else ""
    return f"diagnostic_results_{subject}{suffix}.csv"


def remote_path(region: str, subject: str) -> str:
    """Where the file is for the region's SFTP user (whose root is the region's folder)."""
    return f"/exports/{site_folder(region)}/{CURRENT_YEAR_FOLDER}/{file_name(region, subject)}"


def school_name(school: dict[str, Any]) -> str:
    """How i-Ready names a school: its registered charter name, not PowerSchool's."""
    return f"{school['name']} Charter School"


def headers(region: str, subject: str) -> list[str]:
    """The export's columns, in order (the first one is typed, so a damaged file shows)."""
    domains = [
        f"{domain} {part}"
        for domain in DOMAINS[subject]
        for part in ("Scale Score", "Relative Placement")
    ]
    measure = (
        ["Lexile Measure", "Lexile Range"]
        if subject == "ela"
        else [
            "Quantile Measure",
            "Quantile Range",
        ]
    )
    return [
        "Academic Year",
        "School",
        "Student ID",
        "Student Grade",
        "Last Name",
        "First Name",
        "Subject",
        "Start Date",
        "Completion Date",
        "Baseline Diagnostic (Y/N)",
        most_recent_header(region),
        "Duration (min)",
        "Overall Scale Score",
        "Overall Relative Placement",
        "Percentile",
        "Mid On Grade Level Scale Score",
        "Annual Typical Growth Measure",
        "Annual Stretch Growth Measure",
        "Diagnostic Gain",
        "Percent Progress to Annual Typical Growth (%)",
        "Percent Progress to Annual Stretch Growth (%)",
        *measure,
        *domains,
    ]


def generate(world: World, district: District) -> None:
    for name, region in world.regions.items():
        rng = random.Random(f"{world.seed}:{name}:iready")
        district.iready[name] = _results(world, name, region, rng, district.as_of)


def _relative_placement(score: int, mid: int) -> str:
    below = mid - score
    return next((p for most, p in RELATIVE_PLACEMENTS if below <= most), LOWEST_PLACEMENT)


def _grade_text(grade: int) -> str:
    return "K" if grade == 0 else str(grade)


def _whole(value: int | None, decimal: bool) -> str:
    if value is None:
        return ""
    return f"{value}.0" if decimal else str(value)


def _results(world, name: str, region, rng: random.Random, as_of: dt.date) -> dict[str, list]:
    """Every row of both files on ``as_of``; every draw is made whatever the day, so a
    later view repeats them."""
    year = world.year.start_year
    schools = {s["school_number"]: s for s in region.schools}
    # students in grades i-Ready tests (K-8) in some enrollment of the year; each
    # diagnostic is the school's and grade's the student is enrolled in that day
    takers = [s for s in region.attending() if any(e["grade_level"] <= 8 for e in s["stints"])]
    demo_school = min(
        (s["stints"][0]["schoolid"] for s in takers), default=region.schools[0]["school_number"]
    )
    first_day, end_of_year = world.year.first_day, world.year.last_day + dt.timedelta(days=1)
    demos = [
        {
            "student_number": f"DEMO-{name[4:].upper()}-{k + 1}",
            "first_name": "Demo",
            "last_name": f"Student {k + 1}",
            "stints": [stint(demo_school, 3, first_day, end_of_year, first_day)],
            "ability": 80.0,
        }
        for k in range(DEMO_ACCOUNTS)
    ]
    decimal = name in DECIMAL_SITES
    files: dict[str, list[dict]] = {"ela": [], "math": []}
    for s in takers + demos:
        for subject, subject_name in SUBJECTS.items():
            grade = s["stints"][0]["grade_level"]  # the grade the baseline is drawn for
            mid = 380 + 35 * grade + (10 if subject == "math" else 0)
            typical = 30 - 2 * grade
            stretch = typical + 12
            done_rows: list[dict] = []
            baseline_score: int | None = None
            for k, (_window, start, end) in enumerate(WINDOWS):
                y0 = year if start[0] >= 7 else year + 1
                y1 = year if end[0] >= 7 else year + 1
                first, last = dt.date(y0, *start), dt.date(y1, *end)
                done = first + dt.timedelta(days=rng.randrange((last - first).days))
                score = round(mid + (s["ability"] - 80) * 3 + 14 * k + rng.gauss(0, 15))
                duration = rng.randrange(25, 95)
                domain_noise = [rng.gauss(0, 12) for _ in DOMAINS[subject]]
                enrollment = stint_on(s, done)
                taken = done <= as_of and enrollment is not None and enrollment["grade_level"] <= 8
                if not taken:
                    continue
                assert enrollment is not None
                baseline = baseline_score is None
                if baseline:
                    baseline_score = score
                gain = None if baseline else score - baseline_score
                percentile = max(1, min(99, round(50 + (score - mid) / 1.4)))
                row = {
                    SCHOOL_NUMBER: enrollment["schoolid"],  # not a column: for the truth
                    "Academic Year": f"{year}-{year + 1}",
                    "School": school_name(schools[enrollment["schoolid"]]),
                    "Student ID": s["student_number"],
                    "Student Grade": _grade_text(enrollment["grade_level"]),
                    "Last Name": s["last_name"],
                    "First Name": s["first_name"],
                    "Subject": subject_name,
                    "Start Date": (done - dt.timedelta(days=1)).strftime("%m/%d/%Y"),
                    "Completion Date": done.strftime("%m/%d/%Y"),
                    "Baseline Diagnostic (Y/N)": "Y" if baseline else "N",
                    "Duration (min)": duration,
                    "Overall Scale Score": score,
                    "Overall Relative Placement": _relative_placement(score, mid),
                    "Percentile": _whole(percentile, decimal),
                    "Mid On Grade Level Scale Score": _whole(mid, decimal),
                    "Annual Typical Growth Measure": _whole(typical, decimal),
                    "Annual Stretch Growth Measure": _whole(stretch, decimal),
                    "Diagnostic Gain": _whole(gain, decimal),
                    "Percent Progress to Annual Typical Growth (%)": ""
                    if gain is None
                    else f"{100 * gain / typical:.1f}",
                    "Percent Progress to Annual Stretch Growth (%)": ""
                    if gain is None
                    else f"{100 * gain / stretch:.1f}",
                }
                if subject == "ela":
                    lexile = max(0, 10 * round((score - 300) * 2.2 / 10))
                    row["Lexile Measure"] = f"{lexile}L"
                    row["Lexile Range"] = f"{max(0, lexile - 50)}L-{lexile + 50}L"
                else:
                    quantile = max(0, 10 * round((score - 320) * 2.0 / 10))
                    row["Quantile Measure"] = f"{quantile}Q"
                    row["Quantile Range"] = f"{max(0, quantile - 50)}Q-{quantile + 50}Q"
                for domain, noise in zip(DOMAINS[subject], domain_noise, strict=True):
                    domain_score = round(score + noise)
                    row[f"{domain} Scale Score"] = domain_score
                    row[f"{domain} Relative Placement"] = _relative_placement(domain_score, mid)
                done_rows.append(row)
            for k, row in enumerate(done_rows):
                row[most_recent_header(name)] = "Y" if k == len(done_rows) - 1 else "N"
            files[subject] += done_rows
    return files


def publish(district: District, root: Path) -> None:
    for region, files in district.iready.items():
        for subject, rows in files.items():
            write_if_changed(
                root / "sftp" / "iready" / region / remote_path(region, subject).lstrip("/"),
                csv_bytes(rows, headers(region, subject)),
            )


def _is_sis_student(row: dict[str, Any]) -> bool:
    return isinstance(row["Student ID"], int)


def truth(district: District) -> dict[str, Any]:
    """Rows per file (what lands), and of the SIS's students: diagnostics (what
    fct_iready_diagnostics holds), latest ones (the vendor's flag) and per school."""
    by_region: dict[str, dict[str, int]] = {}
    diagnostics: dict[str, int] = {}
    latest: dict[str, int] = {}
    by_school: dict[str, dict[str, int]] = {}
    for region, files in district.iready.items():
        by_region[region] = {subject: len(rows) for subject, rows in files.items()}
        students = [r for rows in files.values() for r in rows if _is_sis_student(r)]
        diagnostics[region] = len(students)
        latest[region] = sum(r[most_recent_header(region)] == "Y" for r in students)
        schools = by_school.setdefault(region, {})
        for r in students:
            schools[str(r[SCHOOL_NUMBER])] = schools.get(str(r[SCHOOL_NUMBER]), 0) + 1
    return {
        "iready_by_region": by_region,
        "iready_diagnostics_by_region": diagnostics,
        "iready_most_recent_by_region": latest,
        "iready_diagnostics_by_school": by_school,
    }
