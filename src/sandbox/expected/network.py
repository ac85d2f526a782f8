"""What kipptaf's network marts and Tableau extracts must hold, from the vendors' rows.

Each function reads what the sandbox's servers serve on the district's day (DeansList's
JSON, i-Ready's export rows, ADP's ledger lines and worker objects, the Google Sheets,
the Enrollment API's records, PowerSchool's tables) and applies the vendor's own
meaning of each field, in plain Python. The rows carry a few hidden keys the servers
never publish (an i-Ready row's or ADP worker's PowerSchool school): they stand for
the checked-in crosswalks, which name the same schools.

PowerSchool figures come from ``sandbox.truth`` (``attendance``, ``student_days``) so
that ADA and membership have one definition.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sandbox import truth
from sandbox.calendar import school_year_of
from sandbox.expected import Expected
from sandbox.generator import ACTIVE, GRADUATED_SCHOOL
from sandbox.vendors import adp, deanslist, enrollment, iready

if TYPE_CHECKING:
    from sandbox.generator import District

NETWORK = "kipptaf"
MARTS = "kipptaf"
TABLEAU = "kipptaf_tableau"
UTC = dt.UTC
# i-Ready's placements at or above grade level (its "on grade level" reports count both)
ON_GRADE_LEVEL = ("Early On Grade Level", "Mid or Above Grade Level")


# --- shared lookups -------------------------------------------------------------------


def _schools(district: District) -> dict[int, dict[str, Any]]:
    """PowerSchool's schools by number (unique across the network), the Graduated
    Students placeholder apart: it is no school."""
    return {
        s["school_number"]: s
        for tables in district.sis.values()
        for s in tables["schools"]
        if s["school_number"] != GRADUATED_SCHOOL
    }


def _school_names(district: District) -> dict[int | None, str]:
    """Each school's PowerSchool name by number (an office, numbered None, has none)."""
    return {number: s["name"] for number, s in _schools(district).items()}


def _enrolled(district: District) -> dict[int, tuple[str, dict[str, Any]]]:
    """Students enrolled today (PowerSchool's enroll_status 0) by student number, with
    their region; a number enrolled in two regions names nobody for sure."""
    seen: dict[int, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
    for region, tables in district.sis.items():
        for s in tables["students"]:
            if s["enroll_status"] == ACTIVE:
                seen[s["student_number"]].append((region, s))
    return {number: found[0] for number, found in seen.items() if len(found) == 1}


def _region_of_group(district: District) -> dict[str, str]:
    """ADP payroll group (company code) -> code location: each region's staff are paid in
    its own group; the network office's workers in ``TAF``."""
    groups = {adp.payroll_group(region): region for region in district.sis}
    return groups | {adp.NETWORK_GROUP: NETWORK}


# --- DeansList ------------------------------------------------------------------------


def _instant(value: dict[str, Any] | None) -> dt.datetime | None:
    """A DeansList date object ({date, timezone_type, timezone}: the wall clock of the
    named zone) as the instant it names, in UTC without a zone (how it lands)."""
    if value is None:
        return None
    local = dt.datetime.strptime(value["date"], "%Y-%m-%d %H:%M:%S.%f")
    return local.replace(tzinfo=ZoneInfo(value["timezone"])).astimezone(UTC).replace(tzinfo=None)


def _local_day(value: dict[str, Any]) -> dt.date:
    """A DeansList date object's day on the school's own clock."""
    return dt.datetime.strptime(value["date"], "%Y-%m-%d %H:%M:%S.%f").date()


def fct_behavior_incidents(district: District) -> Expected:
    """Every live DeansList incident (``IsActive``: a deleted one is kept inactive and
    counts nowhere). Its day is ``IssueTS``'s on the school's clock (DeansList sends no
    incident date); its PowerSchool school is DeansList's ``SchoolID`` through the
    crosswalk; it is resolved once it has a ``CloseTS``, and then stayed open the whole
    days (24 hours each) from entry (``CreateTS``) to closing: a zone-free span, unlike
    counting midnights in UTC, which adds a day to an incident closed in the evening."""
    names = _school_names(district)
    rows = []
    for region, schools in district.deanslist.items():
        for dl_school, endpoints in schools.items():
            number = deanslist.school_number_for(dl_school)
            for i in endpoints["incidents"]:
                if not i["IsActive"]:
                    continue
                assert int(i["SchoolID"]) == dl_school
                day = _local_day(i["IssueTS"])
                created, closed = _instant(i["CreateTS"]), _instant(i["CloseTS"])
                resolved = closed is not None
                rows.append(
                    (
                        f"{region}-{i['IncidentID']}",
                        region,
                        int(i["IncidentID"]),
                        f"{region}-{i['StudentSchoolID']}",
                        int(i["StudentSchoolID"]),
                        number,
                        names.get(number),
                        day,
                        school_year_of(day),
                        i["Category"],
                        i["Infraction"],
                        i["Status"],
                        resolved,
                        i["Location"],
                        created,
                        _instant(i["UpdateTS"]),
                        (closed - created) // dt.timedelta(days=1)
                        if closed is not None and created is not None
                        else None,
                    )
                )
    return Expected(
        f"{MARTS}.fct_behavior_incidents",
        (
            "incident_key",
            "code_location",
            "incident_id",
            "student_key",
            "student_number",
            "school_number",
            "school_name",
            "incident_date",
            "academic_year",
            "category",
            "infraction",
            "status",
            "is_resolved",
            "location",
            "created_at",
            "updated_at",
            "days_to_resolve",
        ),
        1,
        rows,
    )


def fct_behavior(district: District) -> Expected:
    """Every DeansList behaviour entry served (a deleted entry is simply gone), at the
    PowerSchool school its ``DLSchoolID`` maps to; a merit has positive points."""
    names = _school_names(district)
    rows = []
    for region, schools in district.deanslist.items():
        for dl_school, endpoints in schools.items():
            number = deanslist.school_number_for(dl_school)
            for b in endpoints["behavior"]:
                assert int(b["DLSchoolID"]) == dl_school
                day = dt.date.fromisoformat(b["BehaviorDate"])
                points = int(b["PointValue"])
                rows.append(
                    (
                        f"{region}-{b['DLSAID']}",
                        region,
                        int(b["DLSAID"]),
                        f"{region}-{b['StudentSchoolID']}",
                        int(b["StudentSchoolID"]),
                        number,
                        names.get(number),
                        day,
                        school_year_of(day),
                        b["Behavior"],
                        b["BehaviorCategory"],
                        points,
                        points > 0,
                    )
                )
    return Expected(
        f"{MARTS}.fct_behavior",
        (
            "behavior_key",
            "code_location",
            "behavior_id",
            "student_key",
            "student_number",
            "school_number",
            "school_name",
            "behavior_date",
            "academic_year",
            "behavior",
            "behavior_category",
            "point_value",
            "is_positive",
        ),
        1,
        rows,
    )


# --- i-Ready --------------------------------------------------------------------------


def _mdy(text: str) -> dt.date:
    return dt.datetime.strptime(text, "%m/%d/%Y").date()


def _test_round(done: dt.date, fall_year: int) -> str:
    """The diagnostic window (Fall, Winter, Spring) a completion date falls in."""
    for name, start, end in iready.WINDOWS:
        first = dt.date(fall_year if start[0] >= 7 else fall_year + 1, *start)
        last = dt.date(fall_year if end[0] >= 7 else fall_year + 1, *end)
        if first <= done <= last:
            return name
    raise ValueError(f"{done} is in no i-Ready window")


def _number(text: Any) -> int:
    """A whole number some sites write as a decimal (48.0)."""
    return int(float(text))


def _diagnostics(district: District) -> list[dict[str, Any]]:
    """Each completed diagnostic of an SIS student (demo accounts' Student IDs are no
    SIS numbers), in the vendor's terms: the year is the fall year of "Academic Year",
    "K" is grade 0, the school is i-Ready's name mapped to its PowerSchool school, and
    the latest flag is i-Ready's own (whichever template's column name the site uses)."""
    out = []
    for region, files in district.iready.items():
        for rows in files.values():
            for r in rows:
                if not isinstance(r["Student ID"], int) and not str(r["Student ID"]).isdigit():
                    continue  # a demo account
                done = _mdy(r["Completion Date"])
                year = int(r["Academic Year"][:4])
                out.append(
                    {
                        "region": region,
                        "number": int(r["Student ID"]),
                        "first": r["First Name"],
                        "last": r["Last Name"],
                        "grade": 0 if r["Student Grade"] == "K" else int(r["Student Grade"]),
                        "school": r[iready.SCHOOL_NUMBER],
                        "school_name": r["School"],
                        "year": year,
                        "subject": r["Subject"],
                        "round": _test_round(done, year),
                        "start": _mdy(r["Start Date"]),
                        "done": done,
                        "baseline": r["Baseline Diagnostic (Y/N)"] == "Y",
                        "score": int(r["Overall Scale Score"]),
                        "placement": r["Overall Relative Placement"],
                        "on_grade_level": r["Overall Relative Placement"] in ON_GRADE_LEVEL,
                        "percentile": _number(r["Percentile"]),
                        "latest": r[iready.most_recent_header(region)] == "Y",
                    }
                )
    return out


def _diagnostic_key(d: dict[str, Any]) -> str:
    return f"{d['region']}-{d['number']}-{d['subject']}-{d['done'].isoformat()}"


def fct_iready_diagnostics(district: District) -> Expected:
    """Every completed diagnostic of an SIS student (``_diagnostics``), its test round
    the i-Ready window it was completed in, "on grade level" meaning an overall
    placement of Early On or Mid or Above Grade Level."""
    rows = [
        (
            _diagnostic_key(d),
            d["region"],
            f"{d['region']}-{d['number']}",
            d["number"],
            d["first"],
            d["last"],
            d["grade"],
            d["school"],
            d["school_name"],
            d["year"],
            d["subject"],
            d["round"],
            d["start"],
            d["done"],
            d["baseline"],
            d["score"],
            d["placement"],
            d["on_grade_level"],
            d["percentile"],
            d["latest"],
        )
        for d in _diagnostics(district)
    ]
    return Expected(
        f"{MARTS}.fct_iready_diagnostics",
        (
            "diagnostic_key",
            "code_location",
            "student_key",
            "student_number",
            "first_name",
            "last_name",
            "grade_level",
            "school_number",
            "school_name",
            "academic_year",
            "subject",
            "test_round",
            "start_date",
            "completion_date",
            "is_baseline",
            "overall_scale_score",
            "overall_relative_placement",
            "is_on_grade_level",
            "percentile",
            "is_most_recent",
        ),
        1,
        rows,
    )


def rpt_tableau__assessments(district: District) -> Expected:
    """The diagnostics of students enrolled today, beside the student's current school
    and grade from PowerSchool (the school tested at is i-Ready's name for it)."""
    enrolled = _enrolled(district)
    schools = _schools(district)
    rows = []
    for d in _diagnostics(district):
        found = enrolled.get(d["number"])
        if found is None or found[0] != d["region"]:
            continue
        s = found[1]
        school = schools[s["schoolid"]]
        rows.append(
            (
                _diagnostic_key(d),
                d["region"],
                f"{d['region']}-{d['number']}",
                s["student_number"],
                s["first_name"],
                s["last_name"],
                s["grade_level"],
                s["schoolid"],
                school["name"],
                school["abbreviation"],
                d["school_name"],
                d["year"],
                d["subject"],
                d["round"],
                d["done"],
                d["baseline"],
                d["latest"],
                d["score"],
                d["placement"],
                d["on_grade_level"],
                d["percentile"],
            )
        )
    return Expected(
        f"{TABLEAU}.rpt_tableau__assessments",
        (
            "diagnostic_key",
            "code_location",
            "student_key",
            "student_number",
            "first_name",
            "last_name",
            "grade_level",
            "school_number",
            "school_name",
            "school_abbreviation",
            "tested_school_name",
            "academic_year",
            "subject",
            "test_round",
            "completion_date",
            "is_baseline",
            "is_most_recent",
            "overall_scale_score",
            "overall_relative_placement",
            "is_on_grade_level",
            "percentile",
        ),
        1,
        rows,
    )


# --- ADP ------------------------------------------------------------------------------


def dim_staff(district: District) -> Expected:
    """One row per Workforce Now position (work assignment), former staff too: names
    are the preferred name where there is one, the home location is ADP's location
    name and its PowerSchool school, and a position is active while its assignment
    status is Active or Leave."""
    regions = _region_of_group(district)
    rows = []
    for w in district.adp_workers:
        person = w["person"]
        preferred, legal = person.get("preferredName") or {}, person["legalName"]
        emails = [
            e["emailUri"]
            for e in w["businessCommunication"]["emails"]
            if e["nameCode"]["codeValue"] == "Work E-mail"
        ]
        for a in w["workAssignments"]:
            status = a["assignmentStatus"]["statusCode"]
            rows.append(
                (
                    a["positionID"],
                    a["positionID"],
                    a["payrollFileNumber"],
                    a["payrollGroupCode"],
                    regions[a["payrollGroupCode"]],
                    preferred.get("givenName") or legal["givenName"],
                    preferred.get("familyName1") or legal["familyName1"],
                    emails[0] if emails else None,
                    a["jobTitle"],
                    a["homeWorkLocation"]["nameCode"]["longName"],
                    w[adp.HIDDEN + "school_number"],
                    dt.date.fromisoformat(a["hireDate"]),
                    dt.date.fromisoformat(a["terminationDate"])
                    if a.get("terminationDate")
                    else None,
                    status["shortName"],
                    status["shortName"] in ("Active", "Leave"),
                )
            )
    return Expected(
        f"{MARTS}.dim_staff",
        (
            "staff_key",
            "position_id",
            "file_number",
            "company_code",
            "code_location",
            "first_name",
            "last_name",
            "work_email",
            "job_title",
            "home_work_location",
            "home_school_number",
            "hire_date",
            "termination_date",
            "position_status",
            "is_active",
        ),
        1,
        rows,
    )


def _code(text: str) -> str:
    """An ADP location or department code, which some groups write as a decimal."""
    return text.removesuffix(".0")


def fct_payroll_by_location(district: District) -> Expected:
    """The general ledger summed per pay date (the file name's), region (the file's
    payroll group), ADP location (``LOCATION_ID``), PowerSchool school (the location,
    and at the shared campus the department) and GL account: lines, positions paid,
    debits, credits and the net debit, to the cent."""
    names = _school_names(district)
    regions = _region_of_group(district)
    groups: dict[tuple, dict[str, Any]] = {}
    for name, lines in district.adp_gl.items():
        _, day, group = name.removesuffix(".csv").rsplit("_", 2)
        pay_date = dt.datetime.strptime(day, "%Y%m%d").date()
        for line in lines:
            school = line[adp.HIDDEN + "school_number"]
            key = (
                pay_date,
                regions[group],
                _code(line["LOCATION_ID"]),
                school,
                line["ACCT_NO"],
                line["MEMO"],
            )
            g = groups.setdefault(
                key, {"lines": 0, "positions": set(), "debit": Decimal(0), "credit": Decimal(0)}
            )
            g["lines"] += 1
            g["positions"].add(line["POSITION_ID"])
            g["debit"] += Decimal(line["DEBIT"] or 0)
            g["credit"] += Decimal(line["CREDIT"] or 0)
    rows = [
        (
            *key[:4],
            key[4],
            key[5],
            names.get(key[3]),
            g["lines"],
            len(g["positions"]),
            g["debit"],
            g["credit"],
            g["debit"] - g["credit"],
        )
        for key, g in groups.items()
    ]
    return Expected(
        f"{MARTS}.fct_payroll_by_location",
        (
            "pay_date",
            "code_location",
            "cost_center",
            "school_number",
            "gl_account",
            "gl_description",
            "school_name",
            "lines",
            "positions",
            "debit",
            "credit",
            "amount",
        ),
        6,
        rows,
    )


# --- Google Sheets: goals -------------------------------------------------------------

# metric -> whether the actual must reach the goal (a floor) or stay at or under it
GOAL_IS_FLOOR = {"ada": True, "chronic_absence": False, "iready_on_grade_level": True}


def fct_school_goals(district: District) -> Expected:
    """Each row of the network goals sheet beside its school's actual this school year
    and the leader from the leaders sheet. ADA and chronic absence are PowerSchool's
    (``sandbox.truth.attendance``); on grade level is the share of i-Ready's latest
    diagnostics (one per student and subject) of the school's SIS students that place
    Early On or Mid or Above Grade Level. A goal is met when the actual reaches it, or
    for chronic absence stays at or under it; a school with no attendance (the sheet's
    Graduated Students row) has no year, actual or verdict."""
    year = district.year.start_year
    actual: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for region, tables in district.sis.items():
        ada, chronic = truth.attendance(tables, district.as_of)
        for school, value in ada.items():
            actual[(region, int(school))]["ada"] = value
        for school, value in chronic.items():
            actual[(region, int(school))]["chronic_absence"] = value
    latest: dict[tuple[str, int], list[bool]] = defaultdict(list)
    for d in _diagnostics(district):
        if d["latest"] and d["year"] == year:
            latest[(d["region"], d["school"])].append(d["on_grade_level"])
    for key, flags in latest.items():
        if key in actual:  # a school with no attendance has no actuals this year
            actual[key]["iready_on_grade_level"] = sum(flags) / len(flags)
    leaders = {
        (r["code_location"], int(r["school_number"])): r
        for r in district.sheets["1schoolleaders"]["rows"]
    }
    names = _school_names(district)
    rows = []
    for g in district.sheets["1networkgoals"]["rows"]:
        key = (g["code_location"], int(g["school_number"]))
        leader = leaders.get(key)
        value = actual[key].get(g["metric"]) if key in actual else None
        goal = float(g["goal"])
        met = None
        if value is not None:
            met = value >= goal if GOAL_IS_FLOOR[g["metric"]] else value <= goal
        rows.append(
            (
                *key,
                g["metric"],
                names.get(key[1]),
                leader["school_leader"] if leader else None,
                leader["leader_email"].lower() if leader else None,
                year if key in actual else None,
                goal,
                value,
                met,
            )
        )
    return Expected(
        f"{MARTS}.fct_school_goals",
        (
            "code_location",
            "school_number",
            "metric",
            "school_name",
            "school_leader",
            "leader_email",
            "academic_year",
            "goal",
            "actual",
            "is_met",
        ),
        3,
        rows,
    )


# --- Tableau: attendance and enrollment -----------------------------------------------


def rpt_tableau__attendance(district: District) -> Expected:
    """Per school and school day: the students in membership that day (PowerSchool's
    membership days, ``sandbox.truth.student_days``, with membership: a day coded Not in
    Membership is no one's), of them present and absent (the code's presence status;
    no record is present) and tardy; the share present; and the school's ADA and
    chronic-absence rate for the year to date."""
    schools = _schools(district)
    rows = []
    for region, tables in district.sis.items():
        ada, chronic = truth.attendance(tables, district.as_of)
        per_day: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for day in truth.student_days(tables, district.as_of):
            if day.membership <= 0:
                continue
            counts = per_day[(day.enrollment["schoolid"], day.date)]
            counts[0] += 1
            counts[1] += day.code["presence_status_cd"] == "Present"
            counts[2] += day.code["presence_status_cd"] == "Absent"
            counts[3] += truth.is_tardy(day.code)
        for (number, date), (students, present, absent, tardy) in per_day.items():
            school = schools[number]
            rows.append(
                (
                    region,
                    number,
                    date,
                    school["name"],
                    school["abbreviation"],
                    school_year_of(date),
                    students,
                    present,
                    absent,
                    tardy,
                    present / students,
                    ada.get(str(number)),
                    chronic.get(str(number)),
                )
            )
    return Expected(
        f"{TABLEAU}.rpt_tableau__attendance",
        (
            "code_location",
            "school_number",
            "calendar_date",
            "school_name",
            "school_abbreviation",
            "academic_year",
            "students",
            "students_present",
            "students_absent",
            "students_tardy",
            "attendance_rate",
            "ytd_ada",
            "ytd_chronic_absence_rate",
        ),
        3,
        rows,
    )


def _api_time(text: str | None) -> dt.datetime | None:
    """An Enrollment API time: ISO 8601 in UTC, naming no zone."""
    return None if text is None else dt.datetime.fromisoformat(text).replace(tzinfo=UTC)


def _sis_number(record: dict[str, Any]) -> int | None:
    """A record's ``externalStudentID`` as an SIS student number (none for applicants)."""
    text = record["externalStudentID"]
    return int(text) if text and text.isdigit() else None


def rpt_tableau__enrollment(district: District) -> Expected:
    """Per published Enrollment action and current school of the students on it: the
    school's students enrolled today, the submitted records, the distinct students
    who submitted (a record with no SIS number is one applicant of its own), their
    share of the enrolled, and the last day one was submitted on the schools' clock.
    An action names no region: a record finds its school through its
    ``externalStudentID``, the SIS number of a student enrolled today; the others (new
    applicants, students who left) share the action's row with no school, as does an
    action nobody is on yet."""
    enrolled = _enrolled(district)
    schools = _schools(district)
    per_school: dict[tuple[str, int], int] = defaultdict(int)
    for region, s in enrolled.values():
        per_school[(region, s["schoolid"])] += 1
    rows = []
    for action in district.enrollment_actions:
        records = district.enrollment_submissions.get(action["id"], [])
        groups: dict[tuple[str | None, int | None], list[dict]] = defaultdict(list)
        for r in records:
            number = _sis_number(r)
            found = enrolled.get(number) if number is not None else None
            key = (found[0], found[1]["schoolid"]) if found else (None, None)
            groups[key].append(r)
        if not groups:
            groups[(None, None)] = []
        for (region, number), members in groups.items():
            submitted = [r for r in members if r["submitted"] is not None]
            students = {_sis_number(r) or f"record {r['id']}" for r in submitted}
            count = per_school[(region, number)] if number is not None else None
            last = max((_api_time(r["submitted"]) for r in submitted), default=None)
            rows.append(
                (
                    action["id"],
                    region,
                    number,
                    action["title"],
                    action["academicYear"],
                    schools[number]["name"] if number is not None else None,
                    count,
                    len(submitted),
                    len(students),
                    len(students) / count if count else None,
                    last.astimezone(enrollment.LOCAL).date() if last else None,
                )
            )
    return Expected(
        f"{TABLEAU}.rpt_tableau__enrollment",
        (
            "action_id",
            "code_location",
            "school_number",
            "action_name",
            "academic_year",
            "school_name",
            "enrolled_students",
            "submissions",
            "students_submitted",
            "submission_rate",
            "last_submitted_date",
        ),
        3,
        rows,
    )


# every model this module covers, by name: tests parametrize over it
MODELS: dict[str, Callable[[District], Expected]] = {
    f.__name__: f
    for f in (
        dim_staff,
        fct_behavior,
        fct_behavior_incidents,
        fct_iready_diagnostics,
        fct_payroll_by_location,
        fct_school_goals,
        rpt_tableau__assessments,
        rpt_tableau__attendance,
        rpt_tableau__enrollment,
    )
}


def tables(district: District) -> list[Expected]:
    """The expected rows of every network mart and Tableau extract."""
    return [build(district) for build in MODELS.values()]
