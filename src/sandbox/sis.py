"""PowerSchool SIS as it stands on one day: its tables, and the export one district gets.

``view`` turns a region's drawn year (``sandbox.generator``) into PowerSchool's own
tables on ``as_of``, one function per family of tables. Rows carry PowerSchool's change
stamps the way it writes them: the core tables move ``transaction_date`` on every
update and leave it NULL on rows nobody has touched since the stamp existed; the
extension tables (``studentcorefields``, ``s_nj_stu_x``, ``u_studentsuserfields``) move
``whenmodified``; the reference tables have neither and are reloaded whole.

``TABLES`` is the shape of each table as the PostgreSQL stand-in for PowerSchool's Oracle
serves it (a few real columns teamster does not read are served too). ``export_csv``
writes a table the way PowerSchool's table export reaches a district over SFTP: a
``TABLE.FIELD`` header, some fields named differently from the database columns, some
dates written ``MM/DD/YYYY``, and one district-defined column that district lacks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sandbox.files import csv_value
from sandbox.generator import (
    ACTIVE,
    ATTENDANCE_CODES,
    ETHNICITIES,
    EXCLUDED_FROM_GPA,
    GRADUATED,
    GRADUATED_SCHOOL,
    INACTIVE,
    PRE_REGISTERED,
    STAMPED_SINCE,
    TRANSFERRED_OUT,
    final_percent,
)

if TYPE_CHECKING:
    from sandbox.generator import Region, World

Rows = list[dict[str, Any]]
DAILY = "ATT_ModeDaily"
CODEDAY = "codeday"  # PowerSchool's code-to-day conversion mode

_STAMP = "timestamp"
TABLES: dict[str, dict[str, str]] = {
    "schools": {
        "id": "integer",
        "dcid": "integer",
        "school_number": "integer",
        "name": "text",
        "abbreviation": "text",
        "low_grade": "integer",
        "high_grade": "integer",
        "schoolcity": "text",
        "schoolstate": "text",
        "psguid": "text",
        "transaction_date": _STAMP,
    },
    "students": {
        "id": "integer",
        "dcid": "integer",
        "student_number": "bigint",
        "state_studentnumber": "text",
        "first_name": "text",
        "last_name": "text",
        "lastfirst": "text",
        "schoolid": "integer",
        "grade_level": "integer",
        "enroll_status": "integer",
        "entrydate": "date",
        "exitdate": "date",
        "entrycode": "text",
        "exitcode": "text",
        "dob": "date",
        "gender": "text",
        "ethnicity": "text",
        "fteid": "integer",
        "membershipshare": "double precision",
        "track": "text",
        "graduated_schoolid": "integer",
        "psguid": "text",
        "transaction_date": _STAMP,
    },
    "studentcorefields": {
        "studentsdcid": "integer",
        "primarylanguage": "text",
        "lep_status": "text",
        "whencreated": _STAMP,
        "whenmodified": _STAMP,
    },
    "s_nj_stu_x": {
        "studentsdcid": "integer",
        "specialed_classification": "text",
        "iep_begin_date": "date",
        "iep_end_date": "date",
        "pid_504_tf": "integer",
        "whencreated": _STAMP,
        "whenmodified": _STAMP,
    },
    "u_studentsuserfields": {
        "studentsdcid": "integer",
        "c_504_status": "text",
        "whenmodified": _STAMP,
    },
    "reenrollments": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "schoolid": "integer",
        "grade_level": "integer",
        "entrydate": "date",
        "exitdate": "date",
        "entrycode": "text",
        "exitcode": "text",
        "fteid": "integer",
        "membershipshare": "double precision",
        "track": "text",
    },
    "spenrollments": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "programid": "integer",
        "schoolid": "integer",
        "gradelevel": "integer",
        "enter_date": "date",
        "exit_date": "date",
    },
    "users": {
        "dcid": "integer",
        "first_name": "text",
        "last_name": "text",
        "email_addr": "text",
        "teachernumber": "text",
        "loginid": "text",
        "homeschoolid": "integer",
        "transaction_date": _STAMP,
    },
    "schoolstaff": {
        "id": "integer",
        "dcid": "integer",
        "users_dcid": "integer",
        "schoolid": "integer",
        "status": "integer",
        "staffstatus": "integer",
        "transaction_date": _STAMP,
    },
    "courses": {
        "id": "integer",
        "dcid": "integer",
        "course_number": "text",
        "course_name": "text",
        "credit_hours": "double precision",
        "credittype": "text",
        "transaction_date": _STAMP,
    },
    "sections": {
        "id": "integer",
        "dcid": "integer",
        "course_number": "text",
        "section_number": "text",
        "schoolid": "integer",
        "termid": "integer",
        "teacher": "integer",
        "transaction_date": _STAMP,
    },
    "cc": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "sectionid": "integer",
        "schoolid": "integer",
        "termid": "integer",
        "course_number": "text",
        "section_number": "text",
        "dateenrolled": "date",
        "dateleft": "date",
        "transaction_date": _STAMP,
    },
    "terms": {
        "id": "integer",
        "dcid": "integer",
        "name": "text",
        "abbreviation": "text",
        "firstday": "date",
        "lastday": "date",
        "yearid": "integer",
        "schoolid": "integer",
        "portion": "integer",
        "isyearrec": "integer",
        "transaction_date": _STAMP,
    },
    "termbins": {
        "id": "integer",
        "dcid": "integer",
        "termid": "integer",
        "schoolid": "integer",
        "storecode": "text",
        "date1": "date",
        "date2": "date",
        "transaction_date": _STAMP,
    },
    "calendar_day": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "date_value": "date",
        "insession": "integer",
        "membershipvalue": "double precision",
        "a": "integer",
        "b": "integer",
        "c": "integer",
        "d": "integer",
        "e": "integer",
        "f": "integer",
        "bell_schedule_id": "integer",
        "cycle_day_id": "integer",
    },
    "attendance_code": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "yearid": "integer",
        "att_code": "text",
        "description": "text",
        "presence_status_cd": "text",
        "calculate_ada_yn": "integer",
        "calculate_adm_yn": "integer",
    },
    "attendance_conversion_items": {
        "id": "integer",
        "dcid": "integer",
        "attendance_conversion_id": "integer",
        "fteid": "integer",
        "input_value": "integer",
        "attendance_value": "double precision",
        "conversion_mode_code": "text",
    },
    "attendance": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "schoolid": "integer",
        "att_date": "date",
        "attendance_codeid": "integer",
        "att_mode_code": "text",
        "calendar_dayid": "integer",
        "yearid": "integer",
        "transaction_date": _STAMP,
    },
    "storedgrades": {
        "dcid": "integer",
        "studentid": "integer",
        "sectionid": "integer",
        "schoolid": "integer",
        "termid": "integer",
        "storecode": "text",
        "grade_level": "integer",
        "course_number": "text",
        "course_name": "text",
        "grade": "text",
        "percent": "double precision",
        "gpa_points": "double precision",
        "potentialcrhrs": "double precision",
        "earnedcrhrs": "double precision",
        "excludefromgpa": "integer",
        "datestored": "date",
        "transaction_date": _STAMP,
    },
    "pgfinalgrades": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "sectionid": "integer",
        "finalgradename": "text",
        "grade": "text",
        "percent": "double precision",
        "startdate": "date",
        "enddate": "date",
        "lastgradeupdate": _STAMP,
        "transaction_date": _STAMP,
    },
    "log": {
        "id": "integer",
        "dcid": "integer",
        "studentid": "integer",
        "logtypeid": "integer",
        "subject": "text",
        "entry_date": "date",
        "entry": "text",
        "entry_author": "text",
    },
    "gen": {
        "id": "integer",
        "dcid": "integer",
        "cat": "text",
        "name": "text",
        "value": "text",
        "yearid": "integer",
    },
    "period": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "year_id": "integer",
        "period_number": "integer",
        "name": "text",
        "abbreviation": "text",
        "sort_order": "integer",
    },
    "cycle_day": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "year_id": "integer",
        "day_number": "integer",
        "letter": "text",
        "abbreviation": "text",
        "day_name": "text",
    },
    "bell_schedule": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "year_id": "integer",
        "name": "text",
        "attendance_conversion_id": "integer",
    },
    "fte": {
        "id": "integer",
        "dcid": "integer",
        "schoolid": "integer",
        "yearid": "integer",
        "name": "text",
        "description": "text",
        "fte_value": "double precision",
        "dflt_att_mode_code": "text",
        "dflt_conversion_mode_code": "text",
    },
}

# --- the SFTP export ------------------------------------------------------------------

# Tables the export has no file for.
NOT_EXPORTED = frozenset({"log", "period", "pgfinalgrades"})
# Database column -> the export's field name, where they differ.
EXPORT_NAMES = {
    "calendar_day": {"date_value": "date"},
    "spenrollments": {"enter_date": "enterdate", "exit_date": "exitdate"},
}
# Fields the export writes MM/DD/YYYY (every other date is ISO).
EXPORT_US_DATES = {
    "spenrollments": {"enter_date", "exit_date"},
    "s_nj_stu_x": {"iep_begin_date", "iep_end_date", "whenmodified", "whencreated"},
    "studentcorefields": {"whencreated", "whenmodified"},
}
# District-defined columns one district's instance does not have.
EXPORT_MISSING = {"u_studentsuserfields": {"c_504_status"}}


def export_columns(table: str) -> list[str]:
    """The database columns the export carries, in the export's order."""
    return [c for c in TABLES[table] if c not in EXPORT_MISSING.get(table, set())]


def export_csv(table: str, rows: Rows) -> bytes:
    """``table`` as PowerSchool's export writes it."""
    columns = export_columns(table)
    names = EXPORT_NAMES.get(table, {})
    us_dates = EXPORT_US_DATES.get(table, set())
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([f"{table}.{names.get(c, c)}".upper() for c in columns])
    for row in rows:
        writer.writerow(
            [
                row[c].strftime("%m/%d/%Y")
                if c in us_dates and row[c] is not None
                else csv_value(row[c])
                for c in columns
            ]
        )
    return out.getvalue().encode()


# --- stamps and ids ---------------------------------------------------------------------


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def stamp(changes: list[dt.datetime | None], cutoff: dt.datetime) -> dt.datetime | None:
    """PowerSchool's ``transaction_date``: the latest change before ``cutoff``, or NULL
    when the row has not been written since stamps began."""
    seen = [c for c in changes if c is not None and c < cutoff]
    if not seen:
        return None
    latest = max(seen)
    return latest if latest.date() >= STAMPED_SINCE else None


def fte_id(school_number: int, yearid: int, half_time: bool = False) -> int:
    """FTE records are per school and year (PowerSchool does not share them)."""
    return school_number * 1000 + (yearid % 100) * 10 + (2 if half_time else 1)


def code_id(school_number: int, code: str) -> int:
    return school_number * 100 + [c[0] for c in ATTENDANCE_CODES].index(code) + 1


def _guid(kind: str, n: int) -> str:
    return f"{kind}-{n:012d}"


# --- the view ---------------------------------------------------------------------------


def view(world: World, region: Region, as_of: dt.date) -> dict[str, Rows]:
    """PowerSchool's tables of ``region`` on ``as_of``."""
    cutoff = _at(as_of + dt.timedelta(days=1), 0)  # everything up to the end of as_of
    visible = {s["id"] for s in region.students if _at(s["created"], 9) < cutoff}
    tables: dict[str, Rows] = {}
    families: list[Callable[..., dict[str, Rows]]] = [
        _schools,
        _students,
        _programs,
        _staff,
        _schedule,
        _calendar,
        _attendance,
        _grades,
        _lookups,
    ]
    for family in families:
        tables.update(family(world, region, as_of, cutoff, visible))
    assert set(tables) == set(TABLES), sorted(set(tables) ^ set(TABLES))
    # every row holds exactly its table's columns, in the table's order
    return {name: [{c: row[c] for c in TABLES[name]} for row in tables[name]] for name in TABLES}


def _schools(world: World, region: Region, as_of, cutoff, visible) -> dict[str, Rows]:
    rows = [
        {
            **{k: s[k] for k in TABLES["schools"] if k in s},
            "psguid": _guid("sch", s["dcid"]),
            "transaction_date": stamp([s["modified"]], cutoff),
        }
        for s in region.schools
    ]
    return {"schools": rows}


def _enrollments(s: dict, as_of: dt.date) -> tuple[list[dict], dict]:
    """The earlier enrollments of the year (``reenrollments``) and the one on the
    student record, as PowerSchool shows them on ``as_of``: an enrollment exists from
    the day it was entered."""
    shown = [e for e in s["stints"] if e["recorded"] <= as_of]
    return shown[:-1], shown[-1]


def _status(s: dict, as_of: dt.date) -> tuple[int, dt.date, str | None, list[dt.datetime]]:
    """enroll_status, exit date, exit code and the changes so far of a student record."""
    changes = [_at(s["created"], 9)] + [_at(d, 13) for d in s["edits"] if d <= as_of]
    past, current = _enrollments(s, as_of)
    # each enrollment that ended, and each that started after the first, was a write
    changes += [_at(e["left"], 15) for e in past] + [
        _at(e["entrydate"], 16) for e in s["stints"][1 : len(past) + 1]
    ]
    kind = s["kind"]
    if kind == "prereg":
        return PRE_REGISTERED, current["exitdate"], None, changes
    if kind == "graduate":
        return GRADUATED, current["exitdate"], "GR", [*changes, _at(s["graduated_on"], 7)]
    if kind == "invalid":
        if current["exitdate"] <= as_of:  # the clerk found the duplicate and set it inactive
            return INACTIVE, current["exitdate"], "DP", [*changes, _at(current["exitdate"], 16)]
        return ACTIVE, current["exitdate"], None, changes
    left = current["left"]
    if left is not None and left <= as_of:
        return TRANSFERRED_OUT, left, current["exitcode"], [*changes, _at(left, 15)]
    return ACTIVE, current["exitdate"], None, changes


def _students(world: World, region: Region, as_of, cutoff, visible) -> dict[str, Rows]:
    """students and the one-row-per-student extension tables, and past enrollments:
    last years' and this year's earlier ones (``reenrollments``)."""
    yid = world.year.yearid
    sftp = region.plan.sis == "sftp"
    students, core, nj, userfields, reenroll = [], [], [], [], []
    for s in region.students:
        if s["id"] not in visible:
            continue
        status, exitdate, exitcode, changes = _status(s, as_of)
        past, current = _enrollments(s, as_of)
        school = current["schoolid"]
        students.append(
            {
                "id": s["id"],
                "dcid": s["dcid"],
                "student_number": s["student_number"],
                "state_studentnumber": s["state_studentnumber"],
                "first_name": s["first_name"],
                "last_name": s["last_name"],
                "lastfirst": f"{s['last_name']}, {s['first_name']}",
                "schoolid": school,
                "grade_level": current["grade_level"],
                "enroll_status": status,
                "entrydate": current["entrydate"],
                "exitdate": exitdate,
                "entrycode": current["entrycode"],
                "exitcode": exitcode,
                "dob": s["dob"],
                "gender": s["gender"],
                "ethnicity": s["ethnicity"],
                "fteid": None
                if school == GRADUATED_SCHOOL
                else fte_id(school, yid + (s["kind"] == "prereg"), s["part_time"]),
                "membershipshare": 0.5 if s["part_time"] else 1.0,
                "track": current["track"],
                "graduated_schoolid": s.get("graduated_schoolid", 0),
                "psguid": _guid("stu", s["dcid"]),
                "transaction_date": stamp(changes, cutoff),
            }
        )
        for k, e in enumerate(past, start=1):
            n = s["id"] * 10 + 2 + k  # 1 and 2 are the past years'
            reenroll.append(
                {
                    "id": n,
                    "dcid": 100000 + n,
                    "studentid": s["id"],
                    "schoolid": e["schoolid"],
                    "grade_level": e["grade_level"],
                    "entrydate": e["entrydate"],
                    "exitdate": e["left"],
                    "entrycode": e["entrycode"],
                    "exitcode": e["exitcode"],
                    "fteid": fte_id(e["schoolid"], yid, s["part_time"]),
                    "membershipshare": 0.5 if s["part_time"] else 1.0,
                    "track": e["track"],
                }
            )
        created = _at(s["created"], 9)
        # a mid-year correction of one extension table (generator._extension_edit)
        edit = s["ext_edit"] if s["ext_edit"] and s["ext_edit"][0] <= as_of else None
        edited = {edit[1]: max(created, _at(edit[0], 14))} if edit else {}
        c504 = s["c504"] or "504" in edited
        core.append(
            {
                "studentsdcid": s["dcid"],
                "primarylanguage": s["language_corrected"]
                if "language" in edited
                else s["language"],
                "lep_status": s["lep_spelling"] if s["lep"] else s["non_lep_spelling"],
                "whencreated": created,
                "whenmodified": edited.get("language", created),
            }
        )
        nj.append(
            {
                "studentsdcid": s["dcid"],
                "specialed_classification": (s["iep_revised"] if "iep" in edited else s["iep"])
                or None,
                "iep_begin_date": s["entrydate"] if s["iep"] else None,
                "iep_end_date": dt.date(world.year.start_year + 1, 6, 30) if s["iep"] else None,
                # the state's own 504 field: always kept where the district has no
                # 504 field of its own, filled for some students elsewhere
                "pid_504_tf": int(c504 and (sftp or s["state_504_filled"])),
                "whencreated": created,
                # moves with a revised IEP, and with a 504 plan when the state field shows it
                "whenmodified": max(
                    edited.get("iep", created),
                    edited.get("504", created) if sftp or s["state_504_filled"] else created,
                ),
            }
        )
        userfields.append(
            {
                "studentsdcid": s["dcid"],
                "c_504_status": "1" if c504 else None,
                "whenmodified": edited.get("504", created),
            }
        )
        for back, year in enumerate(world.prior_years, start=1):
            grade, school = _past_enrollment(s, back)
            if grade is None:
                continue
            reenroll.append(
                {
                    "id": s["id"] * 10 + back,
                    "dcid": 100000 + s["id"] * 10 + back,
                    "studentid": s["id"],
                    "schoolid": school,
                    "grade_level": grade,
                    "entrydate": year.first_day,
                    "exitdate": year.last_day + dt.timedelta(days=1),
                    "entrycode": "R1",
                    "exitcode": "GR" if s["kind"] == "graduate" else "E1",
                    "fteid": fte_id(school, year.yearid),
                    "membershipshare": 1.0,
                    "track": None,
                }
            )
    return {
        "students": students,
        "studentcorefields": core,
        "s_nj_stu_x": nj,
        "u_studentsuserfields": userfields,
        "reenrollments": reenroll,
    }


def _past_enrollment(s: dict, back: int) -> tuple[int | None, int | None]:
    """Grade and school of a student ``back`` years ago, if they were enrolled here."""
    if s["kind"] == "graduate":
        return (12, s["senior_school"]) if back == 1 else (None, None)
    if not s["returning"] or s["kind"] == "invalid":
        return None, None
    if back == 2 and not (s["grade_level"] >= 2 and s["created"].year < s["entrydate"].year - 1):
        return None, None
    return s["grade_level"] - back, s["schoolid"]


def _programs(world: World, region: Region, as_of, cutoff, visible) -> dict[str, Rows]:
    """Special-program enrollments: special education (1) and English learners (2), one
    per program and enrollment: a student who changes school or grade is exited from
    the program there and entered again with the new enrollment."""
    rows = []
    planned_exit = dt.date(world.year.start_year + 1, 6, 30)
    for s in region.attending():
        if s["id"] not in visible:
            continue
        past, current = _enrollments(s, as_of)
        for k, e in enumerate([*past, current]):
            left = e["left"] is not None and e["left"] <= as_of
            for program, flag in ((1, s["iep"]), (2, s["lep"])):
                if flag:
                    n = s["id"] * 100 + k * 10 + program
                    rows.append(
                        {
                            "id": n,
                            "dcid": 110000 + n,
                            "studentid": s["id"],
                            "programid": program,
                            "schoolid": e["schoolid"],
                            "gradelevel": e["grade_level"],
                            "enter_date": e["entrydate"],
                            "exit_date": e["left"] if left else planned_exit,
                        }
                    )
    return {"spenrollments": rows}


def _staff(world: World, region: Region, as_of, cutoff, visible) -> dict[str, Rows]:
    users, schoolstaff = [], []
    for m in region.staff:
        left = m["left"] is not None and m["left"] <= as_of
        changes = [_at(m["hired"], 10)] + ([_at(m["left"], 16)] if left else [])
        users.append(
            {
                "dcid": m["users_dcid"],
                "first_name": m["first_name"],
                "last_name": m["last_name"],
                "email_addr": m["email_addr"],
                "teachernumber": m["teachernumber"],
                "loginid": m["loginid"],
                "homeschoolid": m["homeschoolid"],
                "transaction_date": stamp(changes, cutoff),
            }
        )
        schoolstaff.append(
            {
                "id": m["schoolstaff_id"],
                "dcid": m["schoolstaff_id"] + 100000,
                "users_dcid": m["users_dcid"],
                "schoolid": m["homeschoolid"],
                "status": 2 if left else 1,
                "staffstatus": 1 if m["is_teacher"] else 2,
                "transaction_date": stamp(changes, cutoff),
            }
        )
    return {"users": users, "schoolstaff": schoolstaff}


def _schedule(world: World, region: Region, as_of, cutoff, visible) -> dict[str, Rows]:
    """Courses, sections, course enrollments (cc), terms and grading periods."""
    year = world.year
    yid = year.yearid
    courses = [
        {k: c[k] for k in ("id", "dcid", "course_number", "course_name", "credit_hours")}
        | {"credittype": c["credittype"], "transaction_date": stamp([c["modified"]], cutoff)}
        for c in region.courses
    ]
    sections = [
        {k: s[k] for k in ("id", "dcid", "course_number", "section_number", "schoolid")}
        | {
            "termid": s["termid"],
            "teacher": s["teacher"],
            "transaction_date": stamp([_at(s["created"], 11)], cutoff),
        }
        for s in region.sections
    ]
    cc = []
    for row in region.cc:
        created = _at(max(row["created"], row["section"]["created"]), 9)
        if row["studentid"] not in visible or created >= cutoff:
            continue
        section = row["section"]
        ended = row["dropped_on"] is not None and row["dropped_on"] <= as_of
        sign = -1 if ended else 1  # PowerSchool's mark of an enrollment that was ended
        cc.append(
            {
                "id": row["id"],
                "dcid": row["dcid"],
                "studentid": row["studentid"],
                "sectionid": sign * section["id"],
                "schoolid": row["schoolid"],
                "termid": sign * section["termid"],
                "course_number": section["course_number"],
                "section_number": section["section_number"],
                "dateenrolled": row["dateenrolled"],
                "dateleft": row["dateleft"] if ended else section["end"],
                "transaction_date": stamp(
                    [created, _at(row["dropped_on"], 15) if ended else None], cutoff
                ),
            }
        )
    terms, termbins = [], []
    q, semesters = world.quarters, world.semesters
    for school in world.real_schools(region):
        sid = school["school_number"]
        made = _at(dt.date(year.start_year, 6, 1), 8)
        this_year = [
            (
                yid * 100,
                f"{year.start_year}-{year.start_year + 1}",
                "Yr",
                year.first_day,
                year.last_day,
                1,
                1,
            ),
            *[
                (yid * 100 + 1 + k, name, name, first, last, 2, 0)
                for k, (name, first, last) in enumerate(semesters)
            ],
            *[
                (yid * 100 + 3 + k, name, name, first, last, 4, 0)
                for k, (name, first, last) in enumerate(q)
            ],
        ]
        past = [
            (
                p.yearid * 100,
                f"{p.start_year}-{p.start_year + 1}",
                "Yr",
                p.first_day,
                p.last_day,
                1,
                1,
            )
            for p in world.prior_years
        ]
        for termid, name, abbreviation, first, last, portion, is_year in this_year + past:
            written = made if termid // 100 == yid else _at(first - dt.timedelta(days=90), 8)
            terms.append(
                {
                    "id": termid,
                    "dcid": termid * 1000 + sid % 1000,
                    "name": name,
                    "abbreviation": abbreviation,
                    "firstday": first,
                    "lastday": last,
                    "yearid": termid // 100,
                    "schoolid": sid,
                    "portion": portion,
                    "isyearrec": is_year,
                    "transaction_date": stamp([written], cutoff),
                }
            )
        bins = [*q, ("Y1", year.first_day, year.last_day)]
        for k, (code, first, last) in enumerate(bins):
            termbins.append(
                {
                    "id": sid * 100 + k + 1,
                    "dcid": sid * 100 + k + 1,
                    "termid": yid * 100,
                    "schoolid": sid,
                    "storecode": code,
                    "date1": first,
                    "date2": last,
                    "transaction_date": stamp([made], cutoff),
                }
            )
    return {
        "courses": courses,
        "sections": sections,
        "cc": cc,
        "terms": terms,
        "termbins": termbins,
    }


def _calendar(world: World, region: Region, as_of, cutoff, visible) -> dict[str, Rows]:
    """Each school's days, bell schedules, rotation, FTEs and attendance codes with
    their conversion to a day's attendance value."""
    year = world.year
    yid = year.yearid
    in_session = set(world.school_days)
    out: dict[str, Rows] = {
        "calendar_day": [],
        "bell_schedule": [],
        "cycle_day": [],
        "period": [],
        "fte": [],
        "attendance_code": [],
        "attendance_conversion_items": [],
    }
    for school in world.real_schools(region):
        sid = school["school_number"]
        for n, name in enumerate(("Regular Day", "Early Dismissal"), start=1):
            out["bell_schedule"].append(
                {
                    "id": sid * 10 + n,
                    "dcid": sid * 10 + n,
                    "schoolid": sid,
                    "year_id": yid,
                    "name": name,
                    "attendance_conversion_id": sid,
                }
            )
        for n, letter in enumerate("ABCDE", start=1):
            out["cycle_day"].append(
                {
                    "id": sid * 10 + n,
                    "dcid": sid * 10 + n,
                    "schoolid": sid,
                    "year_id": yid,
                    "day_number": n,
                    "letter": letter,
                    "abbreviation": f"{letter}-Day",
                    "day_name": f"Day {letter}",
                }
            )
        for n in range(1, 9):
            out["period"].append(
                {
                    "id": sid * 100 + n,
                    "dcid": sid * 100 + n,
                    "schoolid": sid,
                    "year_id": yid,
                    "period_number": n,
                    "name": f"Period {n}",
                    "abbreviation": f"P{n}",
                    "sort_order": n,
                }
            )
        ftes = [(yid, False), (yid, True), (yid + 1, False), (yid + 1, True)] + [
            (p.yearid, False) for p in world.prior_years
        ]
        for fte_year, half in ftes:
            out["fte"].append(
                {
                    "id": fte_id(sid, fte_year, half),
                    "dcid": fte_id(sid, fte_year, half),
                    "schoolid": sid,
                    "yearid": fte_year,
                    "name": "Half Time" if half else "Full Time",
                    "description": "Half-day program" if half else "Full-day enrollment",
                    "fte_value": 0.5 if half else 1.0,
                    "dflt_att_mode_code": DAILY,
                    "dflt_conversion_mode_code": CODEDAY,
                }
            )
        for code, description, presence, ada, adm, full, half in ATTENDANCE_CODES:
            cid = code_id(sid, code)
            out["attendance_code"].append(
                {
                    "id": cid,
                    "dcid": cid,
                    "schoolid": sid,
                    "yearid": yid,
                    "att_code": code,
                    "description": description,
                    "presence_status_cd": presence,
                    "calculate_ada_yn": ada,
                    "calculate_adm_yn": adm,
                }
            )
            for is_half, value in ((False, full), (True, half)):
                item = cid * 10 + (2 if is_half else 1)
                out["attendance_conversion_items"].append(
                    {
                        "id": item,
                        "dcid": item,
                        "attendance_conversion_id": sid,
                        "fteid": fte_id(sid, yid, is_half),
                        "input_value": cid,
                        "attendance_value": value,
                        "conversion_mode_code": CODEDAY,
                    }
                )
        day, n, rotation = year.first_day, 0, 0
        while day <= year.last_day:
            if day.weekday() < 5:
                n += 1
                on = int(day in in_session)
                track_b_off = school["tracks"] and day in region.track_days_off
                out["calendar_day"].append(
                    {
                        "id": calendar_day_id(sid, n),
                        "dcid": 200000 + calendar_day_id(sid, n),
                        "schoolid": sid,
                        "date_value": day,
                        "insession": on,
                        "membershipvalue": float(on),
                        "a": on,
                        "b": 0 if track_b_off else on,
                        "c": on,
                        "d": on,
                        "e": on,
                        "f": on,
                        "bell_schedule_id": sid * 10 + 1,
                        "cycle_day_id": sid * 10 + rotation % 5 + 1,
                    }
                )
                rotation += on
            day += dt.timedelta(days=1)
    return out


def calendar_day_id(school_number: int, weekday_number: int) -> int:
    return school_number * 1000 + weekday_number


def _attendance(world: World, region: Region, as_of, cutoff, visible) -> dict[str, Rows]:
    yid = world.year.yearid
    weekday_number = {}
    day, n = world.year.first_day, 0
    while day <= world.year.last_day:
        if day.weekday() < 5:
            n += 1
            weekday_number[day] = n
        day += dt.timedelta(days=1)
    rows = []
    for a in region.absences:
        if a["recorded"] >= cutoff:
            continue
        if a["deleted_at"] is not None and a["deleted_at"] < cutoff:
            continue  # deleted as entered by mistake: PowerSchool keeps no trace of it
        code, changed = a["code"], a["recorded"]
        if a["excused_at"] is not None and a["excused_at"] < cutoff:
            code, changed = a["excused_code"], a["excused_at"]
        rows.append(
            {
                "id": a["id"],
                "dcid": a["dcid"],
                "studentid": a["studentid"],
                "schoolid": a["schoolid"],
                "att_date": a["att_date"],
                "attendance_codeid": code_id(a["schoolid"], code),
                "att_mode_code": DAILY,
                "calendar_dayid": calendar_day_id(a["schoolid"], weekday_number[a["att_date"]]),
                "yearid": yid,
                "transaction_date": stamp([changed], cutoff),
            }
        )
    return {"attendance": rows}


def letter(percent: float) -> str:
    for cut, grade in ((90, "A"), (80, "B"), (70, "C"), (65, "D")):
        if percent >= cut:
            return grade
    return "F"


def gpa_points(grade: str) -> float:
    """The district's 4-point scale."""
    return {"A": 4.0, "B": 3.0, "C": 2.0, "D": 1.0, "F": 0.0}[grade]


def _last_friday(day: dt.date, floor: dt.date) -> dt.date:
    friday = day - dt.timedelta(days=(day.weekday() - 4) % 7)
    return max(friday, floor)


def _grades(world: World, region: Region, as_of, cutoff, visible) -> dict[str, Rows]:
    """Stored grades (each quarter's, with no GPA points, and the Y1 final at the end of
    a course's term) and this year's gradebook grades in progress."""
    stored: Rows = []
    # the gradebook keeps one grade per student, section and term: a student back in a
    # section they had left (withdrawn, then re-enrolled) continues the same one
    progress: dict[tuple[int, int, str], dict] = {}
    by_cc: dict[int, list[dict]] = {}
    for g in region.grades:
        by_cc.setdefault(g["cc"]["id"], []).append(g)
    for cc_id, grades in by_cc.items():
        row = grades[0]["cc"]
        if row["studentid"] not in visible:
            continue
        section, course = row["section"], row["course"]
        excluded = int(course["credittype"] in EXCLUDED_FROM_GPA)
        for g in grades:
            storecode, start, end = world.quarters[g["quarter"]]
            if start > as_of or row["dateenrolled"] > end or row["dateleft"] <= start:
                continue
            # teachers post grades on Fridays: the percent moves only when the stamp does
            friday = _last_friday(min(as_of, end), start)
            weeks_left = max(0, (end - friday).days // 7)
            percent = round(max(0.0, min(100.0, g["percent"] - g["drift"] * weeks_left)), 1)
            updated = _at(friday, 17)
            late = g["ungraded_until"]
            ungraded = late is not None and as_of < late
            if late is not None and not ungraded:  # the first grade is a change too
                updated = max(updated, _at(late, 12))
            progress[(row["studentid"], section["id"], storecode)] = {
                "id": cc_id * 10 + g["quarter"],
                "dcid": 900000 + cc_id * 10 + g["quarter"],
                "studentid": row["studentid"],
                "sectionid": section["id"],
                "finalgradename": storecode,
                "grade": "--" if ungraded else letter(percent),
                "percent": 0.0 if ungraded else percent,
                "startdate": start,
                "enddate": end,
                "lastgradeupdate": updated,
                "transaction_date": stamp([updated], cutoff),
            }
            stored_on = end + dt.timedelta(days=3)
            if stored_on <= as_of and row["dateenrolled"] <= end < row["dateleft"]:
                percent, changed = _late(g.get("late_change"), g["percent"], as_of)
                stored.append(
                    _stored(row, storecode, percent, stored_on, section["termid"], excluded)
                    | {"dcid": 950000 + cc_id * 10 + g["quarter"], "gpa_points": 0.0}
                    | changed
                )
        term_end = section["end"] - dt.timedelta(days=1)
        final_on = term_end + dt.timedelta(days=3)
        if final_on <= as_of and row["dateleft"] > term_end:
            drawn = final_percent([g["percent"] for g in grades])
            percent, changed = _late(row.get("final_change"), drawn, as_of)
            credit = course["credit_hours"]
            final = letter(percent)
            stored.append(
                _stored(row, "Y1", percent, final_on, section["termid"], excluded)
                | {
                    "dcid": 950000 + cc_id * 10 + 9,
                    "gpa_points": gpa_points(final),
                    "potentialcrhrs": credit,
                    "earnedcrhrs": credit if final != "F" else 0.0,
                }
                | changed
            )
    for p in region.prior_grades:
        if p["studentid"] not in visible:
            continue
        percent, changed = _late(p.get("late_change"), p["percent"], as_of)
        final = letter(percent)
        stored.append(
            {
                "dcid": p["dcid"],
                "studentid": p["studentid"],
                "sectionid": 0,
                "schoolid": p["schoolid"],
                "termid": p["termid"],
                "storecode": "Y1",
                "grade_level": p["grade_level"],
                "course_number": p["course_number"],
                "course_name": p["course_name"],
                "grade": final,
                "percent": percent,
                "gpa_points": gpa_points(final),
                "potentialcrhrs": p["credit_hours"],
                "earnedcrhrs": p["credit_hours"] if final != "F" else 0.0,
                "excludefromgpa": 0,
                "datestored": p["stored"].date(),
                "transaction_date": stamp([p["stored"]], cutoff),
            }
            | changed
        )
    return {"storedgrades": stored, "pgfinalgrades": list(progress.values())}


def _late(
    change: tuple[dt.date, float] | None, percent: float, as_of: dt.date
) -> tuple[float, dict[str, Any]]:
    """A stored grade's percent on ``as_of`` and the columns a late change rewrites
    (the grade was changed after it was stored: only transaction_date moves, the date
    it was stored stays)."""
    if change is None or change[0] > as_of:
        return percent, {}
    return change[1], {"transaction_date": _at(change[0], 14)}


def _stored(
    row: dict, storecode: str, percent: float, on: dt.date, termid: int, excluded: int
) -> dict:
    course = row["course"]
    return {
        "studentid": row["studentid"],
        "sectionid": row["section"]["id"],
        "schoolid": row["schoolid"],
        "termid": termid,
        "storecode": storecode,
        "grade_level": course["grade"],
        "course_number": course["course_number"],
        "course_name": course["course_name"],
        "grade": letter(percent),
        "percent": percent,
        "potentialcrhrs": 0.0,
        "earnedcrhrs": 0.0,
        "excludefromgpa": excluded,
        "datestored": on,
        "transaction_date": _at(on, 18),
    }


def _lookups(world: World, region: Region, as_of, cutoff, visible) -> dict[str, Rows]:
    logs = [
        {k: v for k, v in entry.items() if k != "created"}
        for entry in region.logs
        if entry["created"] < cutoff
    ]
    gen = [
        {
            "id": k + 1,
            "dcid": 500 + k + 1,
            "cat": "ethnicity",
            "name": code,
            "value": description,
            "yearid": 0,
        }
        for k, (code, description) in enumerate(ETHNICITIES)
    ]
    return {"log": logs, "gen": gen}
