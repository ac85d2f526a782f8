import csv
import datetime as dt
import io
from collections import Counter

import pytest
import yaml

from sandbox import sis
from sandbox.generator import ACTIVE, GRADUATED_SCHOOL, STAMPED_SINCE, World, generate
from sandbox.sis import TABLES
from support import REPO
from teamster.core.regions import REGIONS, REGISTRY

CURSORS = {
    table: column
    for column, tables in yaml.safe_load(
        (REPO / "tests/data/vendor_schemas/powerschool_sis.yaml").read_text()
    )["cursors"].items()
    for table in tables
    if column != "none"
}


@pytest.fixture(scope="module")
def district():
    return generate(seed=5, scale=0.05)


def test_same_seed_same_district():
    a, b = generate(seed=3, scale=0.02), generate(seed=3, scale=0.02)
    assert a.sis == b.sis and a.deanslist == b.deanslist and a.adp_gl == b.adp_gl
    assert generate(seed=4, scale=0.02).sis != a.sis


def test_scale_multiplies_students():
    small, large = World(seed=1, scale=0.02), World(seed=1, scale=0.08)

    def drawn(world, region):  # graduates and duplicate records come on top
        return [
            s for s in world.regions[region].students if s["kind"] not in ("graduate", "invalid")
        ]

    for region in REGIONS:
        assert len(drawn(large, region)) == 4 * len(drawn(small, region))


def test_every_sis_table_has_its_columns(district):
    for region, tables in district.sis.items():
        assert set(tables) == set(TABLES), region
        for table, rows in tables.items():
            assert rows, f"{region}.{table} is empty"
            assert list(rows[0]) == list(TABLES[table]), f"{region}.{table}"


def test_truth_counts_active_students_per_region(district):
    truth = district.truth()
    for region, tables in district.sis.items():
        active = [s for s in tables["students"] if s["enroll_status"] == ACTIVE]
        assert truth["students_by_region"][region] == len(active)
        assert 0 < len(active) < len(tables["students"])  # withdrawals exist


def test_foreign_keys_join(district):
    for tables in district.sis.values():
        schools = {s["school_number"]: s for s in tables["schools"]}
        students = {s["id"] for s in tables["students"]}
        sections = {s["id"] for s in tables["sections"]}
        staff = {s["id"] for s in tables["schoolstaff"]}
        codes = {c["id"] for c in tables["attendance_code"]}
        ftes = {f["id"] for f in tables["fte"]}
        for s in tables["students"]:
            school = schools[s["schoolid"]]
            assert school["low_grade"] <= s["grade_level"] <= school["high_grade"]
            assert s["fteid"] is None or s["fteid"] in ftes
        assert all(r["fteid"] in ftes for r in tables["reenrollments"])
        assert all(
            c["studentid"] in students and abs(c["sectionid"]) in sections for c in tables["cc"]
        )
        assert all(s["teacher"] in staff for s in tables["sections"])
        assert all(
            a["attendance_codeid"] in codes and a["studentid"] in students
            for a in tables["attendance"]
        )
        assert all(i["input_value"] in codes for i in tables["attendance_conversion_items"])


def test_powerschool_semantics_are_all_there():
    """Every case PowerSchool's real data has and a loader or model must handle."""
    district = generate(seed=5, scale=0.05, as_of=dt.date(2027, 3, 1))
    statuses = Counter()
    for region, tables in district.sis.items():
        students = {s["id"]: s for s in tables["students"]}
        statuses.update(s["enroll_status"] for s in students.values())
        graduates = [s for s in students.values() if s["enroll_status"] == 3]
        if any(s["high_grade"] == 12 for s in tables["schools"] if s["school_number"] < 999999):
            assert graduates, region
        for s in graduates:
            assert (s["schoolid"], s["grade_level"]) == (GRADUATED_SCHOOL, 99)
            assert s["graduated_schoolid"] > 0
        assert {t["portion"] for t in tables["terms"]} == {1, 2, 4}
        assert {g["storecode"] for g in tables["storedgrades"]} >= {"Q1", "Y1"}
        assert all(g["gpa_points"] == 0 for g in tables["storedgrades"] if g["storecode"] != "Y1")
        assert any(g["gpa_points"] > 0 for g in tables["storedgrades"] if g["storecode"] == "Y1")
        ended = [c for c in tables["cc"] if c["sectionid"] < 0]
        exits = [c for c in ended if c["dateleft"] == students[c["studentid"]]["exitdate"]]
        assert exits and len(exits) < len(ended), region  # drops and departures both
        assert all(c["termid"] < 0 for c in ended)
        codes = tables["attendance_code"]
        assert any(c["calculate_ada_yn"] == 0 for c in codes)
        assert any(c["calculate_adm_yn"] == 0 for c in codes)
        values = {i["attendance_value"] for i in tables["attendance_conversion_items"]}
        assert {0.0, 0.5, 1.0} <= values
        assert {s["membershipshare"] for s in students.values()} == {0.5, 1.0}
        spellings = {r["lep_status"] for r in tables["studentcorefields"]}
        assert len(spellings & {"1", "Y", "YES"}) >= 2, region
    assert set(statuses) == {-1, 0, 1, 2, 3}
    assert any(s["track"] for s in district.sis["kippmiami"]["students"])


def test_stamps_move_on_every_change_and_are_null_on_untouched_rows():
    """What incremental loads rely on: a changed row's cursor is later than before; a
    row nobody has written since stamps began has none."""
    world = World(seed=9, scale=0.03)
    early, late = world.view(dt.date(2026, 10, 15)), world.view(dt.date(2027, 3, 15))
    nulls, edits = Counter(), Counter()
    for region in REGIONS:
        for table, rows in late.sis[region].items():
            cursor = CURSORS.get(table)
            if cursor is None:
                assert "transaction_date" not in TABLES[table], table
                continue
            key = "dcid" if "dcid" in TABLES[table] else "studentsdcid"
            before = {r[key]: r for r in early.sis[region][table]}
            for row in rows:
                old = before.get(row[key])
                if old is not None and old != row:
                    edits[table] += 1
                    assert row[cursor] is not None, (region, table, row[key])
                    assert old[cursor] is None or row[cursor] > old[cursor], (table, row[key])
                nulls[table] += row[cursor] is None
                assert (
                    row[cursor] is None
                    or row[cursor].date() >= STAMPED_SINCE
                    or (cursor == "whenmodified")
                )
    for table in ("schools", "students", "courses", "users", "storedgrades", "terms"):
        assert nulls[table], f"{table}: no row without a transaction_date"
    for table in ("studentcorefields", "s_nj_stu_x", "u_studentsuserfields"):
        assert edits[table], f"{table}: no row edited between the views (whenmodified unused)"
    assert not nulls["attendance"] and not nulls["cc"]


def test_a_later_view_keeps_the_past_and_adds_to_it():
    world = World(seed=9, scale=0.03)
    early, late = world.view(dt.date(2026, 10, 15)), world.view(dt.date(2026, 11, 20))
    for region in REGIONS:
        before = {a["dcid"]: a for a in early.sis[region]["attendance"]}
        after = {a["dcid"]: a for a in late.sis[region]["attendance"]}
        assert set(before) < set(after)
        changed = [k for k in before if before[k] != after[k]]
        assert changed  # absences excused after the earlier day
        assert all(a["att_date"] <= dt.date(2026, 10, 15) for a in before.values())
    assert len(late.adp_gl) > len(early.adp_gl)
    assert sum(map(len, late.enrollment_submissions.values())) > sum(
        map(len, early.enrollment_submissions.values())
    )


def test_later_i_ready_and_adp_views_keep_the_past():
    """A diagnostic, a payroll file and a worker, once there, stay the same in every later
    view; only i-Ready's most-recent flag and ADP's statuses move, and only forward."""
    from sandbox.vendors.iready import most_recent_header

    world = World(seed=9, scale=0.03)
    early, late = world.view(dt.date(2026, 10, 15)), world.view(dt.date(2027, 2, 26))
    for region, files in early.iready.items():
        flag = most_recent_header(region)
        for subject, rows in files.items():
            key = ("Student ID", "Completion Date")
            later = {tuple(r[k] for k in key): r for r in late.iready[region][subject]}
            assert len(later) > len(rows)
            for row in rows:
                kept = later[tuple(row[k] for k in key)]
                assert {k: v for k, v in kept.items() if k != flag} == {
                    k: v for k, v in row.items() if k != flag
                }
    assert set(early.adp_gl) < set(late.adp_gl)
    assert all(late.adp_gl[name] == lines for name, lines in early.adp_gl.items())
    before = {w["associateOID"]: w for w in early.adp_workers}
    after = {w["associateOID"]: w for w in late.adp_workers}
    assert set(before) == set(after)
    order = {"A": 0, "L": 1, "T": 2}
    moved = 0
    for oid, worker in before.items():
        was = worker["workAssignments"][0]["assignmentStatus"]["statusCode"]["codeValue"]
        now = after[oid]["workAssignments"][0]["assignmentStatus"]["statusCode"]["codeValue"]
        assert order[now] >= order[was] or (was, now) == ("L", "A"), oid
        moved += was != now
    assert moved  # some left or went on leave between the two days


def test_ada_truth_is_a_rate_per_school(district):
    truth = district.truth()
    for plan in REGISTRY.regions:
        ada = truth["ada_by_school"][plan.name]
        assert len(ada) == len(plan.schools)
        assert all(0.8 < v < 1.0 for v in ada.values())
        assert all(0 <= v <= 1 for v in truth["chronic_absence_by_school"][plan.name].values())


def test_the_sftp_export_is_powerschools_not_the_database(district):
    tables = district.sis["kipppaterson"]
    calendar = list(
        csv.reader(io.StringIO(sis.export_csv("calendar_day", tables["calendar_day"]).decode()))
    )
    assert "CALENDAR_DAY.DATE" in calendar[0] and "CALENDAR_DAY.DATE_VALUE" not in calendar[0]
    assert all(h.startswith("CALENDAR_DAY.") for h in calendar[0])
    programs = list(
        csv.DictReader(
            io.StringIO(sis.export_csv("spenrollments", tables["spenrollments"]).decode())
        )
    )
    assert programs and all(
        dt.datetime.strptime(p["SPENROLLMENTS.ENTERDATE"], "%m/%d/%Y") for p in programs
    )
    fields = sis.export_csv("u_studentsuserfields", tables["u_studentsuserfields"]).decode()
    assert "C_504_STATUS" not in fields.splitlines()[0]
    assert {"log", "period", "pgfinalgrades"} == sis.NOT_EXPORTED
