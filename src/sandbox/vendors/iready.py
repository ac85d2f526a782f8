"""i-Ready: diagnostic result exports per region, dropped on the i-Ready SFTP server."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.files import csv_bytes, write_if_changed

if TYPE_CHECKING:
    from sandbox.generator import District, World

EXPORT_DIR = "exports"

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


def generate(world: World, district: District) -> None:
    for name, region in world.regions.items():
        rng = random.Random(f"{world.seed}:{name}:iready")
        district.iready[name] = _iready(world, region, rng, district.as_of)


def _iready(world, region, rng: random.Random, as_of: dt.date) -> dict[str, list[dict]]:
    year = world.year.start_year
    files: dict[str, list[dict]] = {"ela": [], "math": []}
    schools = {s["school_number"]: s["name"] for s in region.schools}
    for s in region.attending():
        if s["grade_level"] > 8:
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


def publish(district: District, root: Path) -> None:
    for region, files in district.iready.items():
        for subject, rows in files.items():
            write_if_changed(
                root
                / "sftp"
                / "iready"
                / region
                / EXPORT_DIR
                / f"diagnostic_results_{subject}.csv",
                csv_bytes(rows),
            )


def truth(district: District) -> dict[str, Any]:
    return {
        "iready_by_region": {
            region: {subject: len(rows) for subject, rows in files.items()}
            for region, files in district.iready.items()
        }
    }
