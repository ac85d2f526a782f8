"""DeansList: incidents and behavior per school, served by the HTTP API (``sandbox.http``)."""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.files import json_bytes, write_if_changed
from sandbox.vendors.common import at, cutoff

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


def generate(world: World, district: District) -> None:
    for name, region in world.regions.items():
        rng = random.Random(f"{world.seed}:{name}:deanslist")
        district.deanslist[name] = _deanslist(world, region, rng, cutoff(district.as_of))


def _deanslist(world, region, rng: random.Random, cutoff: dt.datetime) -> dict[int, dict]:
    by_school = {s["school_number"]: {"incidents": [], "behavior": []} for s in region.schools}
    incident_id = behavior_id = 1
    for s in region.attending():
        days = [
            d
            for d in world.school_days
            if d >= s["entrydate"] and (s["withdrawn"] is None or d < s["withdrawn"])
        ]
        for _ in range(rng.choices([0, 1, 2, 3], [60, 25, 10, 5])[0]):
            day = rng.choice(days)
            created = at(day, rng.randrange(8, 16))
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
            if at(day, 15) >= cutoff:
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


def publish(district: District, root: Path) -> None:
    """One JSON file per school and endpoint; one API key per school, kept across views."""
    base = root / "http" / "deanslist"
    keys_path = root / "secrets" / "deanslist_keys.json"
    keys = json.loads(keys_path.read_text()) if keys_path.exists() else {}
    for schools in district.deanslist.values():
        for school, endpoints in schools.items():
            keys.setdefault(str(school), secrets.token_hex(16))
            for endpoint, rows in endpoints.items():
                write_if_changed(base / str(school) / f"{endpoint}.json", json_bytes(rows))
    if write_if_changed(keys_path, json_bytes(keys)):
        keys_path.chmod(0o600)


def truth(district: District) -> dict[str, Any]:
    return {
        "deanslist_by_region": {
            region: {
                "incidents": sum(len(s["incidents"]) for s in schools.values()),
                "behavior": sum(len(s["behavior"]) for s in schools.values()),
            }
            for region, schools in district.deanslist.items()
        }
    }
