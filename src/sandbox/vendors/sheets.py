"""Google Sheets: the network's goal and school-leader sheets, exported as CSV."""

from __future__ import annotations

import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.files import csv_bytes, write_if_changed

if TYPE_CHECKING:
    from sandbox.generator import District, World


def generate(world: World, district: District) -> None:
    _sheets(world, district)


def _sheets(world: World, district: District) -> None:
    goals, leaders = [], []
    for name, region in world.regions.items():
        rng = random.Random(f"{world.seed}:{name}:sheets")
        for s in world.real_schools(region):  # not PowerSchool's Graduated Students
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


def publish(district: District, root: Path) -> None:
    for sheet_id, sheet in district.sheets.items():
        write_if_changed(root / "http" / "sheets" / f"{sheet_id}.csv", csv_bytes(sheet["rows"]))


def truth(district: District) -> dict[str, Any]:
    return {"sheets_rows": {sheet: len(s["rows"]) for sheet, s in district.sheets.items()}}
