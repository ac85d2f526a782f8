"""DeansList: incidents and behaviour per DeansList school, served by ``sandbox.http``.

The rows have the shape DeansList's REST API gives them (the reference is
``tests/data/vendor_schemas/deanslist.yaml``): ids and most values are strings, an
incident's timestamps are date objects ``{date, timezone_type, timezone}`` in the
school's wall-clock time, a behaviour entry's ``BehaviorDate`` and ``DL_LASTUPDATE``
are plain strings. DeansList numbers its schools itself (``SchoolID`` on incidents,
``DLSchoolID`` on behaviour); ``deanslist_school_id`` gives each PowerSchool school its
DeansList id, a fixed function of the school number so the regions' checked-in
crosswalks can name them.

Every random draw happens whatever ``as_of`` is, so a later view repeats the same
year: an incident appears once entered, is closed or deleted later, and a deleted one
stays in the data with ``IsActive`` false (served only to ``IncludeDeleted=Y``). A
deleted behaviour entry is simply gone from later views.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sandbox import names
from sandbox.files import json_bytes, write_if_changed
from sandbox.stints import stint_on
from sandbox.vendors.common import at, cutoff

if TYPE_CHECKING:
    from sandbox.generator import District, Region, World

TIMEZONE = "America/New_York"  # every sandbox school keeps Eastern time
TIMEZONE_TYPE_IDENTIFIER = 3  # PHP's DateTime: the zone is given by its tz name
ORGANIZATION_ID = "36"  # the network's DeansList account: one for every school

# (tier-prefixed category, category id, infraction, infraction type id)
INCIDENT_CATEGORIES = [
    ("T1 - Classroom Disruption", "101", "Disrupting class", "1101"),
    ("T1 - Tardy", "102", "Repeated tardiness", "1102"),
    ("T2 - Defiance", "201", "Refusal to follow directions", "1201"),
    ("T2 - Technology Misuse", "202", "Device misuse", "1202"),
    ("T3 - Fighting", "301", "Physical altercation", "1301"),
]
LOCATIONS = [("Classroom", "1"), ("Hallway", "2"), ("Cafeteria", "3"), ("Playground", "4")]
STATUSES = {"Open": "1", "Resolved": "3"}
# (behaviour, behaviour id, category, points)
BEHAVIORS = [
    ("Participation", "5001", "Positive", 2),
    ("Teamwork", "5002", "Positive", 2),
    ("Off Task", "5003", "Negative", -1),
    ("Disrespect", "5004", "Negative", -2),
]
PENALTY = ("7", "Out-of-School Suspension")

INCIDENT_FIELDS = (
    "AddlReqs AdminSummary Category CategoryID Context CreateBy CreateFirst CreateLast "
    "CreateMiddle CreateStaffSchoolID CreateTitle FamilyMeetingNotes FollowupNotes Gender "
    "GradeLevelShort HearingFlag HearingLocation HearingNotes HearingTime HomeroomName "
    "IncidentID Infraction InfractionTypeID IsActive IsReferral Location LocationID "
    "ReportedDetails ReportingIncidentID ReturnPeriod SchoolID SendAlert Status StatusID "
    "StudentFirst StudentID StudentLast StudentMiddle StudentSchoolID UpdateBy UpdateFirst "
    "UpdateLast UpdateMiddle UpdateStaffSchoolID UpdateTitle URI CloseTS CreateTS "
    "DL_LASTUPDATE HearingDate IssueTS ReturnDate ReviewTS UpdateTS Actions Attachments "
    "Penalties Custom_Fields"
).split()


def deanslist_school_id(school_number: int) -> int:
    """DeansList's id of a PowerSchool school; never equal to any school number in use,
    so a join on the wrong id finds nothing instead of the wrong school."""
    return 3 * school_number + 170


def school_number_for(dl_school_id: int) -> int:
    return (dl_school_id - 170) // 3


def generate(world: World, district: District) -> None:
    for name, region in world.regions.items():
        rng = random.Random(f"{world.seed}:{name}:deanslist")
        district.deanslist[name] = _deanslist(world, region, rng, cutoff(district.as_of))


def _schools(region: Region) -> dict[int, dict]:
    """The region's schools DeansList serves: those its students attend, by school number."""
    attended = {e["schoolid"] for s in region.attending() for e in s["stints"]}
    return {s["school_number"]: s for s in region.schools if s["school_number"] in attended}


def _staff(rng: random.Random, school_number: int) -> list[dict[str, str]]:
    return [
        {
            "id": str(90_000 + school_number * 100 + k),
            "school_id": f"T{school_number}{k:03d}",
            "first": names.first_name(rng),
            "last": names.last_name(rng),
            "title": rng.choice(["Teacher", "Dean", "Assistant Principal"]),
        }
        for k in range(1, 6)
    ]


def _deanslist(world: World, region: Region, rng: random.Random, end: dt.datetime):
    schools = _schools(region)
    staff = {n: _staff(rng, n) for n in schools}
    by_school: dict[int, dict[str, list[dict]]] = {
        deanslist_school_id(n): {"incidents": [], "behavior": []} for n in schools
    }
    incident_no = behavior_no = 1
    for s in region.attending():
        # the days the student is enrolled, and where: an incident is the school's the
        # student attends that day (a student who changed school has some at each)
        days = [d for d in world.school_days if stint_on(s, d) is not None]
        for _ in range(rng.choices([0, 1, 2, 3], [60, 25, 10, 5])[0] if days else 0):
            day = rng.choice(days)
            school, student = _where(region, s, day, schools)
            incident = _incident(rng, day, student, school, staff, end)
            incident["IncidentID"] = str(region.index * 10_000_000 + incident_no)
            incident_no += 1
            if incident["CreateTS"] is not None:  # entered by the end of the view
                for penalty in incident["Penalties"]:
                    penalty["IncidentID"] = incident["IncidentID"]
                by_school[deanslist_school_id(school["school_number"])]["incidents"].append(
                    incident
                )
        for _ in range(rng.randrange(0, 6) if days else 0):
            day = rng.choice(days)
            school, student = _where(region, s, day, schools)
            entry = _behavior(rng, day, student, school, staff, end)
            entry["DLSAID"] = str(region.index * 10_000_000 + behavior_no)
            behavior_no += 1
            if entry.pop("_live"):
                by_school[deanslist_school_id(school["school_number"])]["behavior"].append(entry)
    return by_school


def _where(
    region: Region, s: dict, day: dt.date, schools: dict[int, dict]
) -> tuple[dict, dict[str, Any]]:
    """The school a student attends on ``day`` and the student as DeansList knows them
    there (the grade of that enrollment)."""
    enrollment = stint_on(s, day)
    assert enrollment is not None, (s["id"], day)
    student = {
        "dl_id": str(7_000_000 + region.index * 500_000 + s["id"]),
        "number": str(s["student_number"]),
        "first": s["first_name"],
        "last": s["last_name"],
        "grade": enrollment["grade_level"],
    }
    return schools[enrollment["schoolid"]], student


def _date_object(moment: dt.datetime | None) -> dict[str, Any] | None:
    """A timestamp as DeansList writes it: PHP's DateTime in the school's zone."""
    if moment is None:
        return None
    return {
        "date": moment.strftime("%Y-%m-%d %H:%M:%S.%f"),
        "timezone_type": TIMEZONE_TYPE_IDENTIFIER,
        "timezone": TIMEZONE,
    }


def _incident(
    rng: random.Random,
    day: dt.date,
    student: dict[str, Any],
    school: dict,
    staff: dict[int, list[dict[str, str]]],
    end: dt.datetime,
) -> dict[str, Any]:
    """One incident as DeansList shows it at ``end``; every draw is made either way."""
    issued = at(day, rng.randrange(8, 15)) + dt.timedelta(minutes=rng.randrange(60))
    created = issued + dt.timedelta(minutes=rng.randrange(5, 240))
    closed = (
        created + dt.timedelta(days=rng.randrange(0, 8), hours=3) if rng.random() < 0.85 else None
    )
    deleted = created + dt.timedelta(hours=rng.randrange(1, 72)) if rng.random() < 0.05 else None
    category, category_id, infraction, infraction_type_id = rng.choice(INCIDENT_CATEGORIES)
    location, location_id = rng.choice(LOCATIONS)
    team = staff[school["school_number"]]
    author, closer = rng.choice(team), rng.choice(team)
    referral = rng.random() < 0.3
    suspended = category.startswith("T3") and rng.random() < 0.5
    suspension_days = rng.randrange(1, 4)
    penalty_id = str(rng.randrange(10**6, 10**7))
    homeroom = f"{student['grade']}-{rng.choice('ABC')}"

    if created >= end:
        return {"CreateTS": None}
    if deleted is not None and deleted >= end:
        deleted = None
    if closed is not None and (closed >= end or (deleted is not None and deleted <= closed)):
        closed = None  # not closed yet, or deleted before anyone closed it
    updated = max(t for t in (created, closed, deleted) if t is not None)
    status = "Resolved" if closed else "Open"
    editor = closer if closed else author
    penalties = []
    if suspended:
        start = day + dt.timedelta(days=1)
        penalties.append(
            {
                "IncidentID": None,  # set with the incident's id
                "IncidentPenaltyID": penalty_id,
                "SchoolID": str(deanslist_school_id(school["school_number"])),
                "PenaltyID": PENALTY[0],
                "PenaltyName": PENALTY[1],
                "StartDate": start.isoformat(),
                "EndDate": (start + dt.timedelta(days=suspension_days - 1)).isoformat(),
                "NumPeriods": "",
                "IsSuspension": True,
                "IsReportable": True,
                "SAID": "",
                "Print": False,
                "StudentID": student["dl_id"],
                "NumDays": suspension_days,
            }
        )
    values: dict[str, Any] = {
        "AddlReqs": "",
        "AdminSummary": "",
        "Category": category,
        "CategoryID": category_id,
        "Context": "",
        "CreateBy": author["id"],
        "CreateFirst": author["first"],
        "CreateLast": author["last"],
        "CreateMiddle": "",
        "CreateStaffSchoolID": author["school_id"],
        "CreateTitle": author["title"],
        "FamilyMeetingNotes": "",
        "FollowupNotes": "",
        "Gender": "",
        "GradeLevelShort": "K" if student["grade"] == 0 else str(student["grade"]),
        "HearingFlag": False,
        "HearingLocation": "",
        "HearingNotes": "",
        "HearingTime": "",
        "HomeroomName": homeroom,
        "Infraction": infraction,
        "InfractionTypeID": infraction_type_id,
        "IsActive": deleted is None,
        "IsReferral": referral,
        "Location": location,
        "LocationID": location_id,
        "ReportedDetails": f"{infraction} in the {location.lower()}.",
        "ReportingIncidentID": "",
        "ReturnPeriod": "",
        "SchoolID": str(deanslist_school_id(school["school_number"])),
        "SendAlert": False,
        "Status": status,
        "StatusID": STATUSES[status],
        "StudentFirst": student["first"],
        "StudentID": student["dl_id"],
        "StudentLast": student["last"],
        "StudentMiddle": "",
        "StudentSchoolID": student["number"],
        "UpdateBy": editor["id"],
        "UpdateFirst": editor["first"],
        "UpdateLast": editor["last"],
        "UpdateMiddle": "",
        "UpdateStaffSchoolID": editor["school_id"],
        "UpdateTitle": editor["title"],
        "URI": "",
        "CloseTS": _date_object(closed),
        "CreateTS": _date_object(created),
        "DL_LASTUPDATE": _date_object(updated),
        "HearingDate": None,
        "IssueTS": _date_object(issued),
        "ReturnDate": _date_object(at(day + dt.timedelta(days=suspension_days + 1), 8))
        if suspended
        else None,
        "ReviewTS": None,
        "UpdateTS": _date_object(updated),
        "Actions": [],
        "Attachments": [],
        "Penalties": penalties,
        "Custom_Fields": [_custom_field("Approver Name", f"{closer['first']} {closer['last']}")],
    }
    return {name: values.get(name) for name in INCIDENT_FIELDS}  # IncidentID: set by the caller


def _custom_field(name: str, value: str) -> dict[str, Any]:
    return {
        "CustomFieldID": "12",
        "FieldCategory": "Incident",
        "FieldKey": name.lower().replace(" ", "_"),
        "FieldName": name,
        "FieldType": "Text",
        "InputHTML": "",
        "InputName": name.lower().replace(" ", "_"),
        "IsFrontEnd": "1",
        "IsRequired": "0",
        "LabelHTML": name,
        "MinUserLevel": "",
        "Options": "",
        "SourceID": "",
        "SourceType": "Incident",
        "StringValue": value,
        "Value": value,
        "NumValue": None,
        "SelectedOptions": [],
    }


def _behavior(
    rng: random.Random,
    day: dt.date,
    student: dict[str, Any],
    school: dict,
    staff: dict[int, list[dict[str, str]]],
    end: dt.datetime,
) -> dict[str, Any]:
    """One behaviour entry; ``_live`` says whether it exists (entered, not deleted)."""
    behavior, behavior_id, category, points = rng.choice(BEHAVIORS)
    entered = at(day, 15) + dt.timedelta(minutes=rng.randrange(120))
    deleted = entered + dt.timedelta(days=rng.randrange(0, 5)) if rng.random() < 0.04 else None
    teacher = rng.choice(staff[school["school_number"]])
    roster_id = str(600_000 + school["school_number"] * 10 + student["grade"] % 10)
    return {
        "Assignment": "",
        "Behavior": behavior,
        "BehaviorCategory": category,
        "BehaviorDate": day.isoformat(),
        "BehaviorID": behavior_id,
        "DL_LASTUPDATE": entered.strftime("%Y-%m-%d %H:%M:%S"),
        "DLOrganizationID": ORGANIZATION_ID,
        "DLSAID": None,  # set by the caller
        "DLSchoolID": str(deanslist_school_id(school["school_number"])),
        "DLStudentID": student["dl_id"],
        "DLUserID": teacher["id"],
        "ExpireTime": None,
        "Notes": "",
        "PointValue": str(points),
        "Roster": f"Grade {student['grade']} Homeroom",
        "RosterID": roster_id,
        "SchoolName": school["name"],
        "SecondaryStudentID": "",
        "SourceID": "",
        "SourceProcedure": "",
        "SourceType": "Behavior",
        "StaffFirstName": teacher["first"],
        "StaffLastName": teacher["last"],
        "StaffMiddleName": "",
        "StaffSchoolID": teacher["school_id"],
        "StaffTitle": teacher["title"],
        "StudentFirstName": student["first"],
        "StudentLastName": student["last"],
        "StudentMiddleName": "",
        "StudentSchoolID": student["number"],
        "TimeIn": None,
        "TimeOut": None,
        "Weight": "1",
        "_live": entered < end and (deleted is None or deleted >= end),
    }


def publish(district: District, root: Path) -> None:
    """One JSON file per DeansList school and endpoint; one API key per DeansList school,
    kept across views (a school no longer served loses its key)."""
    base = root / "http" / "deanslist"
    keys_path = root / "secrets" / "deanslist_keys.json"
    old = json.loads(keys_path.read_text()) if keys_path.exists() else {}
    keys = {}
    for schools in district.deanslist.values():
        for school, endpoints in schools.items():
            keys[str(school)] = old.get(str(school)) or secrets.token_hex(16)
            for endpoint, rows in endpoints.items():
                write_if_changed(base / str(school) / f"{endpoint}.json", json_bytes(rows))
    write_if_changed(keys_path, json_bytes(dict(sorted(keys.items()))), private=True)


def truth(district: District) -> dict[str, Any]:
    """Live incidents (deleted ones apart) and behaviour, per region and per PowerSchool
    school, and the crosswalk a region's config must hold."""
    by_region: dict[str, dict[str, int]] = {}
    by_school: dict[str, dict[str, dict[str, int]]] = {}
    crosswalk: dict[str, dict[str, int]] = {}
    for region, schools in district.deanslist.items():
        totals = {"incidents": 0, "incidents_deleted": 0, "behavior": 0}
        for dl_id, endpoints in schools.items():
            live = sum(1 for i in endpoints["incidents"] if i["IsActive"])
            deleted = len(endpoints["incidents"]) - live
            totals["incidents"] += live
            totals["incidents_deleted"] += deleted
            totals["behavior"] += len(endpoints["behavior"])
            number = str(school_number_for(dl_id))
            by_school.setdefault(region, {})[number] = {
                "incidents": live,
                "behavior": len(endpoints["behavior"]),
            }
            crosswalk.setdefault(region, {})[str(dl_id)] = school_number_for(dl_id)
        by_region[region] = totals
    return {
        "deanslist_by_region": by_region,
        "deanslist_by_school": by_school,
        "deanslist_crosswalk": crosswalk,
    }
