"""ADP: payroll general-ledger files per pay date and the staff roster, on ADP's SFTP."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox.calendar import pay_dates
from sandbox.files import csv_bytes, write_if_changed

if TYPE_CHECKING:
    from sandbox.generator import District, World


def generate(world: World, district: District) -> None:
    _adp(world, district, district.as_of)


def _adp(world: World, district: District, as_of: dt.date) -> None:
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


def publish(district: District, root: Path) -> None:
    adp = root / "sftp" / "adp"
    for pay_date, lines in district.adp_gl.items():
        write_if_changed(adp / "payroll" / f"gl_{pay_date:%Y%m%d}.csv", csv_bytes(lines))
    write_if_changed(adp / "roster" / "staff_roster.csv", csv_bytes(district.adp_roster))


def truth(district: District) -> dict[str, Any]:
    staff: dict[str, int] = {}
    for member in district.adp_roster:
        if member["position_status"] == "Active":
            location = member["home_work_location"]
            staff[location] = staff.get(location, 0) + 1
    return {
        "staff_by_home_location": staff,
        "adp_gl": {
            "files": len(district.adp_gl),
            "lines": sum(len(v) for v in district.adp_gl.values()),
        },
    }
