"""PowerSchool Enrollment: published actions and their submission records (HTTP API)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.files import json_bytes, secret, write_if_changed
from sandbox.vendors.common import at, cutoff

if TYPE_CHECKING:
    from sandbox.generator import District, World


def generate(world: World, district: District) -> None:
    _enrollment(world, district, cutoff(district.as_of))


def _enrollment(world: World, district: District, cutoff: dt.datetime) -> None:
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
                "name": f"{region.plan['city']} {kind} {year + 1}-{year + 2}",
                "code_location": name,
                "published_at": published.isoformat(sep=" "),
            }
            submissions = []
            if kind == "Re-enrollment":
                people = region.attending()
                people = [s for s in people if rng.random() < 0.7]
            else:
                people = [None] * max(1, round(len(region.students) * 0.3))
            for k, s in enumerate(people):
                submitted = published + dt.timedelta(
                    days=rng.randrange(0, 120), hours=rng.randrange(0, 12)
                )
                first = s["first_name"] if s else _first_name(rng)
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


def _first_name(rng: random.Random) -> str:
    from sandbox.generator import FIRST_NAMES

    return rng.choice(FIRST_NAMES)


def publish(district: District, root: Path) -> None:
    base = root / "http" / "enrollment"
    write_if_changed(base / "actions.json", json_bytes(district.enrollment_actions))
    for action, rows in district.enrollment_submissions.items():
        write_if_changed(base / "submissions" / f"{action}.json", json_bytes(rows))
    secret(root / "secrets" / "enrollment_api_password")


def truth(district: District) -> dict[str, Any]:
    return {
        "enrollment_submissions_by_action": {
            str(action): len(rows) for action, rows in district.enrollment_submissions.items()
        }
    }
