"""The other systems' content: DeansList, i-Ready, ADP, Google Sheets, Enrollment.

Each draws its whole year from its own seeded generator (so a later view repeats
the same draws) and keeps what has happened by ``as_of``.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING

from sandbox.calendar import pay_dates

if TYPE_CHECKING:
    from sandbox.generator import District, World

INCIDENT_CATEGORIES = [
    ("Disruption", "Classroom disruption"),
    ("Defiance", "Refusal to follow directions"),
    ("Fighting", "Physical altercation"),
    ("Tardy", "Repeated tardiness"),
    ("Technology", "Device misuse"),
]
BEHAVIORS = [
    ("Participation", "Positive", 2),
    ("Teamwork", "Positive", 2),
    ("Off Task", "Negative", -1),
    ("Disrespect", "Negative", -2),
]
IREADY_WINDOWS = [
    ("Fall", (9, 10), (10, 10)),
    ("Winter", (1, 10), (2, 10)),
    ("Spring", (5, 10), (6, 5)),
]
PLACEMENTS = [
    "3 or More Grade Levels Below",
    "2 Grade Levels Below",
    "1 Grade Level Below",
    "Early On Grade Level",
    "Mid or Above Grade Level",
]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def fill(world: World, district: District) -> None:
    as_of = district.as_of
    cutoff = _at(as_of + dt.timedelta(days=1), 0)
    for name, region in world.regions.items():
        rng = random.Random(f"{world.seed}:{name}:vendors")
        district.deanslist[name] = _deanslist(world, region, rng, cutoff)
        district.iready[name] = _iready(world, region, rng, as_of)
    _adp(world, district, as_of)
    _sheets(world, district)
    _enrollment(world, district, cutoff)


def _deanslist(world, region, rng: random.Random, cutoff: dt.datetime) -> dict[int, dict]:
    by_school = {s["school_number"]: {"incidents": [], "behavior": []} for s in region.schools}
    incident_id = behavior_id = 1
    for s in region.students:
        if s["pre_registered"]:
            continue
        days = [
            d
            for d in world.school_days
            if d >= s["entrydate"] and (s["withdrawn"] is None or d < s["withdrawn"])
        ]
        for _ in range(rng.choices([0, 1, 2, 3], [60, 25, 10, 5])[0]):
            day = rng.choice(days)
            created = _at(day, rng.randrange(8, 16))
            resolved = created + dt.timedelta(days=rng.randrange(0, 8), hours=3)
            category, infraction = rng.choice(INCIDENT_CATEGORIES)
            if created >= cutoff:
                continue
            done = resolved < cutoff
            by_school[s["schoolid"]]["incidents"].append(
                {
                    "IncidentID": region.index * 10_000_000 + incident_id,
                    "StudentSchoolID": str(s["student_number"]),
                    "SchoolID": s["schoolid"],
                    "IncidentDate": day.isoformat(),
                    "CreateTS": created.isoformat(sep=" "),
                    "UpdateTS": (resolved if done else created).isoformat(sep=" "),
                    "Category": category,
                    "Infraction": infraction,
                    "Status": "Resolved" if done else "Open",
                    "Location": rng.choice(["Classroom", "Hallway", "Cafeteria", "Playground"]),
                }
            )
            incident_id += 1
        for _ in range(rng.randrange(0, 6)):
            day = rng.choice(days)
            behavior, category, points = rng.choice(BEHAVIORS)
            if _at(day, 15) >= cutoff:
                continue
            by_school[s["schoolid"]]["behavior"].append(
                {
                    "DLSAID": region.index * 10_000_000 + behavior_id,
                    "StudentSchoolID": str(s["student_number"]),
                    "SchoolID": s["schoolid"],
                    "BehaviorDate": day.isoformat(),
                    "Behavior": behavior,
                    "BehaviorCategory": category,
                    "PointValue": points,
                }
            )
            behavior_id += 1
    return by_school


def _iready(world, region, rng: random.Random, as_of: dt.date) -> dict[str, list[dict]]:
    year = world.year.start_year
    files: dict[str, list[dict]] = {"ela": [], "math": []}
    schools = {s["school_number"]: s["name"] for s in region.schools}
    for s in region.students:
        if s["pre_registered"] or s["grade_level"] > 8:
            continue
        for subject in ("ela", "math"):
            base = 350 + 45 * s["grade_level"] + (s["ability"] - 80) * 2
            for k, (_window, start, end) in enumerate(IREADY_WINDOWS):
                y0 = year if start[0] >= 7 else year + 1
                y1 = year if end[0] >= 7 else year + 1
                first, last = dt.date(y0, *start), dt.date(y1, *end)
                done = first + dt.timedelta(days=rng.randrange((last - first).days))
                score = round(base + 12 * k + rng.gauss(0, 15))
                if (
                    done > as_of
                    or done < s["entrydate"]
                    or (s["withdrawn"] and done >= s["withdrawn"])
                ):
                    continue
                files[subject].append(
                    {
                        "Student ID": s["student_number"],
                        "Last Name": s["last_name"],
                        "First Name": s["first_name"],
                        "Student Grade": s["grade_level"] or "K",
                        "School": schools[s["schoolid"]],
                        "Academic Year": f"{year}-{year + 1}",
                        "Subject": "Reading" if subject == "ela" else "Math",
                        "Start Date": (done - dt.timedelta(days=1)).strftime("%m/%d/%Y"),
                        "Completion Date": done.strftime("%m/%d/%Y"),
                        "Baseline Diagnostic (Y/N)": "Y" if k == 0 else "N",
                        "Overall Scale Score": score,
                        "Overall Relative Placement": PLACEMENTS[
                            min(4, max(0, int(score - base + 40) // 20))
                        ],
                        "Percentile": max(1, min(99, round(50 + (score - base) / 1.5))),
                    }
                )
    return files


def _adp(world, district, as_of: dt.date) -> None:
    staff = [(name, m) for name, region in world.regions.items() for m in region.staff]
    schools = {s["school_number"]: s["name"] for r in world.regions.values() for s in r.schools}
    for name, m in staff:
        left = m["left"] is not None and m["left"] <= as_of
        district.adp_roster.append(
            {
                "position_id": m["adp_position_id"],
                "file_number": m["adp_position_id"][-6:],
                "company_code": name.upper(),
                "first_name": m["first_name"],
                "last_name": m["last_name"],
                "work_email": m["email_addr"],
                "home_work_location": schools[m["homeschoolid"]],
                "job_title": m["title"],
                "hire_date": m["hired"].isoformat(),
                "position_status": "Terminated" if left else "Active",
                "termination_date": m["left"].isoformat() if left else "",
            }
        )
    for pay_date in pay_dates(world.year.start_year):
        if pay_date > as_of:
            break
        rng = random.Random(f"{world.seed}:adp:{pay_date.isoformat()}")
        lines = []
        for name, m in staff:
            if m["hired"] > pay_date or (m["left"] is not None and m["left"] < pay_date):
                continue
            gross = round((2600 if m["is_teacher"] else 2300) * rng.uniform(0.9, 1.3), 2)
            for account, description, amount in (
                ("6000", "Salaries and wages", gross),
                ("6200", "Employer payroll taxes", round(gross * 0.0765, 2)),
            ):
                lines.append(
                    {
                        "pay_date": pay_date.isoformat(),
                        "company_code": name.upper(),
                        "file_number": m["adp_position_id"][-6:],
                        "position_id": m["adp_position_id"],
                        "cost_center": str(m["homeschoolid"]),
                        "gl_account": account,
                        "description": description,
                        "debit": f"{amount:.2f}",
                        "credit": "0.00",
                    }
                )
        district.adp_gl[pay_date] = lines


def _sheets(world, district) -> None:
    goals, leaders = [], []
    for name, region in world.regions.items():
        rng = random.Random(f"{world.seed}:{name}:sheets")
        for s in region.schools:
            for metric, goal in (
                ("ada", 0.94),
                ("chronic_absence", 0.15),
                ("iready_on_grade_level", 0.45),
            ):
                goals.append(
                    {
                        "code_location": name,
                        "school_number": s["school_number"],
                        "metric": metric,
                        "goal": round(goal + rng.uniform(-0.02, 0.02), 3),
                    }
                )
            leaders.append(
                {
                    "code_location": name,
                    "school_number": s["school_number"],
                    "school_leader": f"{rng.choice(['Dr. ', ''])}{s['abbreviation']} Leader",
                    "leader_email": f"leader.{s['abbreviation'].lower()}@{name}.example.org",
                }
            )
    district.sheets = {
        "1networkgoals": {"title": "Network goals", "gid": 0, "rows": goals},
        "1schoolleaders": {"title": "School leaders", "gid": 0, "rows": leaders},
    }


def _enrollment(world, district, cutoff: dt.datetime) -> None:
    year = world.year.start_year
    action_id = 1
    for name, region in world.regions.items():
        rng = random.Random(f"{world.seed}:{name}:enrollment")
        for kind, opens in (
            ("Re-enrollment", dt.date(year, 11, 2)),
            ("New Student Application", dt.date(year, 10, 1)),
        ):
            published = _at(opens, 8)
            action = {
                "id": action_id,
                "name": f"{region.plan['city']} {kind} {year + 1}-{year + 2}",
                "code_location": name,
                "published_at": published.isoformat(sep=" "),
            }
            submissions = []
            if kind == "Re-enrollment":
                people = [s for s in region.students if not s["pre_registered"]]
                people = [s for s in people if rng.random() < 0.7]
            else:
                people = [None] * max(1, round(len(region.students) * 0.3))
            for k, s in enumerate(people):
                submitted = published + dt.timedelta(
                    days=rng.randrange(0, 120), hours=rng.randrange(0, 12)
                )
                first = s["first_name"] if s else world_name(rng)
                if submitted >= cutoff:
                    continue
                submissions.append(
                    {
                        "id": action_id * 1_000_000 + k + 1,
                        "action_id": action_id,
                        "submitted_at": submitted.isoformat(sep=" "),
                        "student_number": s["student_number"] if s else None,
                        "first_name": first,
                        "last_name": s["last_name"] if s else "Applicant",
                        "grade_applying": (s["grade_level"] + 1) if s else rng.randint(0, 9),
                        "status": "Submitted",
                    }
                )
            if published < cutoff:
                district.enrollment_actions.append(action)
                district.enrollment_submissions[action_id] = submissions
            action_id += 1


def world_name(rng: random.Random) -> str:
    from sandbox.generator import FIRST_NAMES

    return rng.choice(FIRST_NAMES)
