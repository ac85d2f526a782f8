"""ADP: payroll general-ledger files on SFTP, and Workforce Now's workers API.

What the real systems send (tests/data/vendor_schemas/adp.yaml):

- payroll: one journal file per pay date and payroll group (ADP company code),
  ``ADP_Payroll_<YYYYMMDD>_<group>.csv`` (some files spell it ``adp_payroll_``), with
  Intacct-style columns (DATE as MM/DD/YYYY, ACCT_NO, LOCATION_ID, DEPT_ID, DEBIT,
  CREDIT, FILE_NUMBER, POSITION_ID, JOB_TITLE as a job code, ...) and no company-code
  column: the group is only in the file name;
- Workforce Now: ``GET /hr/v2/workers`` answers worker objects (``workAssignments[]``
  with ``positionID``, ``payrollGroupCode``, ``assignmentStatus.statusCode``,
  ``homeWorkLocation.nameCode``, ``homeOrganizationalUnits[]``), served by
  ``sandbox.http`` from ``http/adp_workforce_now/workers.json``.

ADP names its own locations and departments: each school is an ADP location with a
code of its own, two Camden schools share one campus location where the home
department says which school, and the network office is a location that is no school.
kipptaf's crosswalk (``code_locations/kipptaf/config/adp.yaml``) maps them. Payroll
groups are the first three characters of the SIS staff's ADP position ids, plus the
network office's ``TAF``, whose workers only ADP knows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox import names
from sandbox.calendar import pay_dates
from sandbox.files import csv_bytes, json_bytes, secret, write_if_changed

if TYPE_CHECKING:
    from sandbox.generator import District, World

PAYROLL_DIR = "payroll"
WORKERS_FILE = ("http", "adp_workforce_now", "workers.json")
CLIENT_ID_SECRET = "adp_wfn_client_id"
CLIENT_SECRET_SECRET = "adp_wfn_client_secret"

NETWORK_GROUP = "TAF"
NETWORK_OFFICE = ("9000", "Network Office")
LOWER_CASE_FILE_GROUPS = {NETWORK_GROUP}  # their files are named adp_payroll_...
DECIMAL_ID_GROUPS = {"MIA"}  # LOCATION_ID and DEPT_ID written like 3010.0
# Intacct entities (business units) per region, and the network's; a region not listed
# has ``entity``'s.
ENTITIES = {
    "kippnewark": "TEAM",
    "kippcamden": "KCNA",
    "kippmiami": "KIPP_MIAMI",
    "kipppaterson": "KPAT",
    "kipptaf": "KIPP_TAF",
}
# Schools sharing one ADP location: (region, school abbreviations) -> campus name.
SHARED_CAMPUSES = {("kippcamden", ("LSP", "LSM")): "Lanning Square Campus"}
DEPARTMENTS = {  # code -> name; job title -> department below
    "10": "Instruction",
    "20": "Operations",
    "30": "School Leadership",
    "40": "Student Support",
    "90": "Network Support",
}
TITLE_DEPARTMENTS = {
    "Teacher": "10",
    "Operations Associate": "20",
    "Dean of Students": "30",
    "Assistant Principal": "30",
    "Social Worker": "40",
}
NETWORK_TITLES = ["Data Analyst", "Finance Associate", "Recruiter", "Managing Director"]
ACCOUNTS = {  # GL account -> memo
    "51000": "Salaries - Teachers",
    "51100": "Salaries - Staff",
    "52000": "Employer Payroll Taxes",
    "10100": "Cash - Payroll",
    "21000": "Payroll Liabilities",
}
GL_COLUMNS = [  # the first is typed, so a damaged file shows
    "DATE",
    "JOURNAL",
    "DESCRIPTION",
    "REFERENCE_NO",
    "LINE_NO",
    "ACCT_NO",
    "LOCATION_ID",
    "DEPT_ID",
    "DOCUMENT",
    "MEMO",
    "DEBIT",
    "CREDIT",
    "SOURCEENTITY",
    "STATE",
    "GLENTRY_PROJECTID",
    "GLENTRY_CLASSID",
    "GLDIMFUNCTION",
    "GLDIMDONOR_RESTRICTION",
    "CUSTOMER_ID",
    "VENDOR_ID",
    "ITEM_ID",
    "EMPLOYEE_NAME",
    "FILE_NUMBER",
    "POSITION_ID",
    "JOB_TITLE",
]
STATUS = {  # assignment status -> (code, name); the worker is Active unless terminated
    "active": ("A", "Active"),
    "leave": ("L", "Leave"),
    "terminated": ("T", "Terminated"),
}
HIDDEN = "_"  # keys starting with it are kept for the truth, never served


def entity(location: str) -> str:
    """The Intacct entity of a code location: ENTITIES', else KIPP_<NAME> (a region added
    by `teamster new-region` is paid without editing this module)."""
    return ENTITIES.get(location) or f"KIPP_{location.removeprefix('kipp').upper()}"


def payroll_group(region: str) -> str:
    """A region's payroll group (ADP company code): three letters of its name after
    ``kipp`` (NEW for kippnewark), padded with X; its staff's position ids start with it.
    kipptaf's crosswalk (config/adp.yaml) maps each group back to its region."""
    return region.removeprefix("kipp")[:3].upper().ljust(3, "X")


def location_code(region_index: int, school_index: int) -> str:
    """ADP's location code of a region's school: a thousand per region (in registry
    order), ten per school (in the region's order)."""
    return f"{(region_index + 1) * 1000 + (school_index + 1) * 10}"


@dataclass(frozen=True)
class Site:
    """An ADP location (and, at a shared campus, a department) and its SIS school."""

    location: str
    name: str
    short_name: str
    department: str | None  # set when the department, not the location, names the school
    school_number: int | None  # None for the network office


def sites(world: World) -> dict[int, Site]:
    """Each SIS school's ADP site, by school number."""
    out: dict[int, Site] = {}
    for r, (region_name, region) in enumerate(world.regions.items()):
        codes = {s["abbreviation"]: location_code(r, i) for i, s in enumerate(region.schools)}
        for school in region.schools:
            code, name = codes[school["abbreviation"]], school["name"].removeprefix("KIPP ")
            department = None
            for (campus_region, members), campus in SHARED_CAMPUSES.items():
                shared = campus_region == region_name and all(m in codes for m in members)
                if shared and school["abbreviation"] in members:
                    department, code = str(int(code) + 1), codes[members[0]]
                    name = campus
            out[school["school_number"]] = Site(
                code, name, school["abbreviation"], department, school["school_number"]
            )
    return out


def _hash(*parts: object, length: int = 14) -> str:
    return hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:length].upper()


def _people(world: World) -> list[dict[str, Any]]:
    """Everyone ADP pays: the SIS's staff, and network staff only ADP knows."""
    site_of = sites(world)
    people = []
    for region_name, region in world.regions.items():
        for m in region.staff:
            position = m["adp_position_id"]
            people.append(
                {
                    "position": position,
                    "group": position[:3],
                    "entity": entity(region_name),
                    "first": m["first_name"],
                    "last": m["last_name"],
                    "email": m["email_addr"],
                    "title": m["title"],
                    "teacher": m["is_teacher"],
                    "hired": m["hired"],
                    "left": m["left"],
                    "site": site_of[m["homeschoolid"]],
                    "department": site_of[m["homeschoolid"]].department
                    or TITLE_DEPARTMENTS.get(m["title"], "20"),
                }
            )
    rng = random.Random(f"{world.seed}:adp:network")
    office = Site(NETWORK_OFFICE[0], NETWORK_OFFICE[1], "NO", None, None)
    for k in range(max(4, round(20 * world.scale))):
        first, last = names.first_name(rng), names.last_name(rng)
        login = f"{names.login_part(first)[:1]}{names.login_part(last)}{k + 1}"
        leaves = world.school_days[rng.randrange(30, len(world.school_days))]
        people.append(
            {
                "position": f"{NETWORK_GROUP}{k + 1:06d}",
                "group": NETWORK_GROUP,
                "entity": entity("kipptaf"),
                "first": first,
                "last": last,
                "email": f"{login if login[0].isalpha() else f'staff{login}'}@kipptaf.example.org",
                "title": rng.choice(NETWORK_TITLES),
                "teacher": False,
                "hired": world.year.first_day - dt.timedelta(days=rng.randrange(30, 2500)),
                "left": leaves if rng.random() < 0.15 else None,
                "site": office,
                "department": "90",
            }
        )
    return people


def _job_code(title: str) -> str:
    """ADP's job code for a title: a number, as the GL's JOB_TITLE column carries it."""
    return str(1000 + int(_hash("job", title, length=6), 16) % 900)


def _code(value: str, name: str) -> dict[str, str]:
    return {"codeValue": value, "shortName": name, "longName": name}


def _worker(p: dict[str, Any], rng: random.Random, as_of: dt.date, days: list[dt.date]):
    """The worker object Workforce Now shows on ``as_of``."""
    leave = days[rng.randrange(len(days))] if rng.random() < 0.04 else None
    gender = rng.choice([("M", "Male"), ("F", "Female")])
    birth = dt.date(2001, 1, 1) + dt.timedelta(days=rng.randrange(365))
    if p["left"] is not None and p["left"] <= as_of:
        status, since = "terminated", p["left"]
    elif leave is not None and leave <= as_of:
        status, since = "leave", leave
    else:
        status, since = "active", p["hired"]
    code, name = STATUS[status]
    terminated = status == "terminated"
    site: Site = p["site"]
    assignment: dict[str, Any] = {
        "itemID": _hash("assignment", p["position"], length=10),
        "positionID": p["position"],
        "primaryIndicator": True,
        "managementPositionIndicator": TITLE_DEPARTMENTS.get(p["title"]) == "30",
        "hireDate": p["hired"].isoformat(),
        "actualStartDate": p["hired"].isoformat(),
        "payrollGroupCode": p["group"],
        "payrollFileNumber": p["position"][3:],
        "jobTitle": p["title"],
        "jobCode": _code(_job_code(p["title"]), p["title"]),
        "assignmentStatus": {"statusCode": _code(code, name), "effectiveDate": since.isoformat()},
        "homeWorkLocation": {
            "nameCode": {
                "codeValue": site.location,
                "shortName": site.short_name,
                "longName": site.name,
            }
        },
        "homeOrganizationalUnits": [
            {
                "nameCode": _code(p["department"], _department_name(p["department"])),
                "typeCode": _code("Department", "Department"),
            },
            {
                "nameCode": _code(p["entity"], p["entity"]),
                "typeCode": _code("Business Unit", "Business Unit"),
            },
        ],
        "payrollProcessingStatusCode": _code(code, name),
    }
    dates = {"originalHireDate": p["hired"].isoformat()}
    if terminated:
        assignment["terminationDate"] = p["left"].isoformat()
        dates["terminationDate"] = p["left"].isoformat()
    return {
        "associateOID": "G3" + _hash("aoid", p["position"]),
        "workerID": {"idValue": _hash("worker", p["position"], length=9)},
        "workerStatus": {"statusCode": {"codeValue": "Terminated" if terminated else "Active"}},
        "workerDates": dates,
        "person": {
            "birthDate": f"0000-{birth:%m-%d}",  # ADP masks the year unless asked not to
            "disabledIndicator": False,
            "genderCode": _code(*gender),
            "legalName": {
                "givenName": p["first"],
                "familyName1": p["last"],
                "formattedName": f"{p['last']}, {p['first']}",
            },
            "preferredName": {"givenName": p["first"], "familyName1": p["last"]},
            "customFieldGroup": {},
            "militaryClassificationCodes": [],
        },
        "businessCommunication": {
            "emails": [
                {
                    "emailUri": p["email"],
                    "nameCode": {"codeValue": "Work E-mail", "shortName": "Work E-mail"},
                    "notificationIndicator": True,
                }
            ]
        },
        "customFieldGroup": {},
        "workAssignments": [assignment],
        HIDDEN + "school_number": site.school_number,
    }


def _department_name(code: str) -> str:
    return DEPARTMENTS.get(code, f"Campus Department {code}")


def generate(world: World, district: District) -> None:
    people = _people(world)
    workers = []
    for p in people:
        rng = random.Random(f"{world.seed}:adp:{p['position']}")
        workers.append(_worker(p, rng, district.as_of, world.school_days))
    district.adp_workers = sorted(workers, key=lambda w: w["associateOID"])
    for pay_date in pay_dates(world.year.start_year):
        if pay_date > district.as_of:
            break
        rng = random.Random(f"{world.seed}:adp:{pay_date.isoformat()}")
        groups: dict[str, list[dict[str, Any]]] = {}
        for p in people:  # every draw is made, paid or not, so a later view repeats them
            gross = round((2600 if p["teacher"] else 2300) * rng.uniform(0.9, 1.3) * 100)
            paid = p["hired"] <= pay_date and (p["left"] is None or p["left"] >= pay_date)
            if paid:
                groups.setdefault(p["group"], []).extend(_journal(p, gross, pay_date))
        for group, lines in sorted(groups.items()):
            for n, line in enumerate(lines, start=1):
                line["LINE_NO"] = n
            district.adp_gl[gl_file_name(pay_date, group)] = lines


def gl_file_name(pay_date: dt.date, group: str) -> str:
    prefix = "adp_payroll" if group in LOWER_CASE_FILE_GROUPS else "ADP_Payroll"
    return f"{prefix}_{pay_date:%Y%m%d}_{group}.csv"


def _cents(cents: int | None) -> str:
    return "" if cents is None else f"{cents // 100}.{cents % 100:02d}"


def _journal(p: dict[str, Any], gross: int, pay_date: dt.date) -> list[dict[str, Any]]:
    """One employee's lines of a pay run: expenses debited, cash and liabilities
    credited, in balance."""
    employer_tax = round(gross * 0.0765)
    net = round(gross * 0.78)
    liabilities = gross - net + employer_tax
    site: Site = p["site"]
    decimal = p["group"] in DECIMAL_ID_GROUPS
    salary = "51000" if p["teacher"] else "51100"
    lines = []
    for account, debit, credit in (
        (salary, gross, None),
        ("52000", employer_tax, None),
        ("10100", None, net),
        ("21000", None, liabilities),
    ):
        lines.append(
            {
                "DATE": f"{pay_date:%m/%d/%Y}",
                "JOURNAL": "PRJ",
                "DESCRIPTION": f"ADP Payroll {pay_date:%m/%d/%Y} {p['group']}",
                "REFERENCE_NO": f"{pay_date:%Y%m%d}",
                "ACCT_NO": account,
                "LOCATION_ID": f"{site.location}.0" if decimal else site.location,
                "DEPT_ID": f"{p['department']}.0" if decimal else p["department"],
                "DOCUMENT": f"PR{pay_date:%Y%m%d}{p['group']}",
                "MEMO": ACCOUNTS[account],
                "DEBIT": _cents(debit),
                "CREDIT": _cents(credit),
                "SOURCEENTITY": p["entity"],
                "GLDIMDONOR_RESTRICTION": "Without Donor Restrictions",
                "EMPLOYEE_NAME": f"{p['last']}, {p['first']}",
                "FILE_NUMBER": p["position"][3:],
                "POSITION_ID": p["position"],
                "JOB_TITLE": _job_code(p["title"]),
                HIDDEN + "school_number": site.school_number,
                HIDDEN + "debit": debit or 0,
                HIDDEN + "credit": credit or 0,
            }
        )
    return lines


def _served(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not k.startswith(HIDDEN)}


def publish(district: District, root: Path) -> None:
    payroll = root / "sftp" / "adp" / PAYROLL_DIR
    for name, lines in district.adp_gl.items():
        write_if_changed(payroll / name, csv_bytes(lines, GL_COLUMNS))
    secret(root / "secrets" / CLIENT_ID_SECRET)
    secret(root / "secrets" / CLIENT_SECRET_SECRET)
    workers = [_served(w) for w in district.adp_workers]
    write_if_changed(root.joinpath(*WORKERS_FILE), json_bytes(workers))


def _is_active(worker: dict[str, Any]) -> bool:
    status = worker["workAssignments"][0]["assignmentStatus"]["statusCode"]["codeValue"]
    return status != STATUS["terminated"][0]


def truth(district: District) -> dict[str, Any]:
    """Active staff (on leave counts) per ADP location name and per SIS school; the
    payroll files, their lines, and lines and debits per SIS school ("none": office)."""
    by_location: dict[str, int] = {}
    by_school: dict[str, int] = {}
    for w in district.adp_workers:
        if _is_active(w):
            location = w["workAssignments"][0]["homeWorkLocation"]["nameCode"]["longName"]
            by_location[location] = by_location.get(location, 0) + 1
            school = w[HIDDEN + "school_number"]
            if school is not None:
                by_school[str(school)] = by_school.get(str(school), 0) + 1
    lines_by_school: dict[str, int] = {}
    debit_cents = credit_cents = 0
    for lines in district.adp_gl.values():
        for line in lines:
            school = str(line[HIDDEN + "school_number"] or "none")
            lines_by_school[school] = lines_by_school.get(school, 0) + 1
            debit_cents += line[HIDDEN + "debit"]
            credit_cents += line[HIDDEN + "credit"]
    return {
        "staff_by_home_location": by_location,
        "active_staff_by_school": by_school,
        "adp_workers": len(district.adp_workers),
        "adp_gl": {
            "files": len(district.adp_gl),
            "pay_dates": len({name.split("_")[2] for name in district.adp_gl}),
            "lines": sum(len(v) for v in district.adp_gl.values()),
            "lines_by_school": lines_by_school,
            "debit_cents": debit_cents,
            "credit_cents": credit_cents,
        },
    }
