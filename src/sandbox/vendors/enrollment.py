"""PowerSchool Enrollment: published actions (forms) and their submission records.

Shapes follow the vendor's API (reference: ``tests/data/vendor_schemas/
powerschool_enrollment.yaml``): a published action is ``{id, title, academicYear}``; a
submission record carries camelCase fields, ``tags`` and the form's ``dataItems``, and
its times are UTC (``YYYY-MM-DDTHH:MM:SS``, no zone). A record exists from the moment
it is on the action's roster, not only once submitted: a re-enrollment form imports
every returning student when it is published (``imported``); a family then starts
(``started``) and may submit (``submitted``). A new applicant's record appears when the
family starts the form. Each action belongs to one region's schools, but nothing in
the payload says which: a warehouse finds a record's region through its student.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sandbox import names
from sandbox.files import json_bytes, secret, write_if_changed
from sandbox.stints import stint_end
from sandbox.vendors.common import at, cutoff

if TYPE_CHECKING:
    from sandbox.generator import District, Region, World

LOCAL = ZoneInfo("America/New_York")  # when families act, on the schools' clock
UTC = dt.UTC
NOT_STARTED, STARTED, SUBMITTED = "Not Started", "Started", "Submitted"
KEY_FILE = "enrollment_api_key"


def generate(world: World, district: District) -> None:
    _enrollment(world, district, cutoff(district.as_of))


def _enrollment(world: World, district: District, end: dt.datetime) -> None:
    year = world.year.start_year
    action_id = 1
    for name, region in world.regions.items():
        rng = random.Random(f"{world.seed}:{name}:enrollment")
        for kind, opens in (
            ("Re-enrollment", dt.date(year, 11, 2)),
            ("New Student Application", dt.date(year, 10, 1)),
        ):
            published = at(opens, 8)
            action = {
                "id": action_id,
                "title": f"{region.plan.city} {kind}",
                "academicYear": f"{year + 1}-{year + 2}",
            }
            if kind == "Re-enrollment":
                drawn = _returning(rng, region, published, action_id)
            else:
                drawn = _applicants(rng, region, published, action_id)
            if published < end:
                district.enrollment_actions.append(action)
                district.enrollment_submissions[action_id] = [
                    r for r in (_as_of(d, end) for d in drawn) if r is not None
                ]
            action_id += 1


def _returning(rng: random.Random, region: Region, published: dt.datetime, action: int):
    """Every attending student enrolled when the form opens, or from a later day on, is
    on its roster from then, at the school of that enrollment."""
    schools = {s["school_number"]: s["name"] for s in region.schools}
    out = []
    for k, s in enumerate(region.attending()):
        # the enrollment the student is in when the form opens, or the next one
        enrollment = next((e for e in s["stints"] if stint_end(e) > published.date()), None)
        entry = enrollment["entrydate"] if enrollment else s["stints"][0]["entrydate"]
        imported = max(published, at(entry, 9))
        # a family starts the form once the student is on its roster, never before
        started = imported + dt.timedelta(days=rng.randrange(0, 60), hours=rng.randrange(0, 12))
        submitted = started + dt.timedelta(hours=rng.randrange(1, 72))
        starts, submits = rng.random() < 0.8, rng.random() < 0.85
        stays = rng.random() < 0.9
        grade = (enrollment or s["stints"][0])["grade_level"]
        born = _birthday(rng, published, grade)
        if enrollment is None:  # left for good before the form opened
            continue
        out.append(
            {
                "id": action * 1_000_000 + k + 1,
                "firstName": s["first_name"],
                "lastName": s["last_name"],
                "dateOfBirth": born,
                "externalStudentID": str(s["student_number"]),
                "externalFamilyID": f"FAM{s['student_number']}",
                "school": schools[enrollment["schoolid"]],
                "grade": _grade(min(grade + 1, 12)),
                "_imported": imported,
                "_started": started if starts else None,
                "_submitted": submitted if starts and submits else None,
                "_answers": {"Returning_Next_Year": "Yes" if stays else "No"},
            }
        )
    return out


def _applicants(rng: random.Random, region: Region, published: dt.datetime, action: int):
    """New families: a record appears when a family starts the application."""
    schools = {s["school_number"]: s["name"] for s in region.schools}
    attending = region.attending()
    out = []
    for k in range(max(1, round(len(attending) * 0.3))):
        # a school and grade people apply to: one a student of the region started in
        applying = attending[rng.randrange(len(attending))]["stints"][0]
        started = published + dt.timedelta(days=rng.randrange(0, 120), hours=rng.randrange(0, 12))
        submitted = started + dt.timedelta(hours=rng.randrange(1, 200))
        submits = rng.random() < 0.7
        sibling = rng.random() < 0.2
        first, last = names.first_name(rng), names.last_name(rng)
        out.append(
            {
                "id": action * 1_000_000 + k + 1,
                "firstName": first,
                "lastName": last,
                "dateOfBirth": _birthday(rng, published, applying["grade_level"]),
                "externalStudentID": None,
                "externalFamilyID": None,
                "school": schools[applying["schoolid"]],
                "grade": _grade(applying["grade_level"]),
                "_imported": None,
                "_started": started,
                "_submitted": submitted if submits else None,
                "_answers": {
                    "Applying_Grade": _grade(applying["grade_level"]),
                    "Sibling_Enrolled": "Yes" if sibling else "No",
                },
            }
        )
    return out


def _as_of(drawn: dict[str, Any], end: dt.datetime) -> dict[str, Any] | None:
    """The record as the API shows it at ``end``; None if it does not exist yet."""
    imported, started, submitted = drawn["_imported"], drawn["_started"], drawn["_submitted"]
    first_seen = imported or started
    if first_seen is None or first_seen >= end:
        return None
    started = started if started is not None and started < end else None
    submitted = submitted if submitted is not None and submitted < end else None
    status = SUBMITTED if submitted else STARTED if started else NOT_STARTED
    return {
        "id": drawn["id"],
        "status": status,
        "firstName": drawn["firstName"],
        "lastName": drawn["lastName"],
        "dateOfBirth": drawn["dateOfBirth"],
        "externalStudentID": drawn["externalStudentID"],
        "externalFamilyID": drawn["externalFamilyID"],
        "household": None,
        "school": drawn["school"],
        "grade": drawn["grade"],
        "enrollStatus": None,
        "imported": _utc(imported),
        "started": _utc(started),
        "submitted": _utc(submitted),
        "tags": ["Polished"] if submitted else [],
        "dataItems": dict(drawn["_answers"]) if submitted else {},
    }


def _utc(local: dt.datetime | None) -> str | None:
    """A local wall-clock time as the API writes it: UTC, ISO 8601, without a zone."""
    if local is None:
        return None
    return local.replace(tzinfo=LOCAL).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _birthday(rng: random.Random, published: dt.datetime, grade: int) -> str:
    """A date of birth as a family types it (the SIS's own may differ): about five years
    before the fall the child started kindergarten."""
    born = dt.date(published.year - 6 - grade, 1, 1) + dt.timedelta(days=rng.randrange(365))
    return f"{born.isoformat()}T00:00:00"


def _grade(level: int) -> str:
    return "K" if level == 0 else str(level)


def publish(district: District, root: Path) -> None:
    base = root / "http" / "enrollment"
    write_if_changed(base / "actions.json", json_bytes(district.enrollment_actions))
    for action, rows in district.enrollment_submissions.items():
        write_if_changed(base / "submissions" / f"{action}.json", json_bytes(rows))
    secret(root / "secrets" / KEY_FILE)


def truth(district: District) -> dict[str, Any]:
    """Per published action: the records the API holds, and how many were submitted."""
    records = district.enrollment_submissions
    return {
        "enrollment_records_by_action": {str(a): len(rows) for a, rows in records.items()},
        "enrollment_submitted_by_action": {
            str(a): sum(1 for r in rows if r["submitted"] is not None)
            for a, rows in records.items()
        },
    }
