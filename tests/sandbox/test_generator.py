import csv
import datetime as dt
import io
import pathlib
import tempfile
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

    def drawn(world, region):
        # graduates, duplicate records and arrivals from other regions come on top
        return [
            s
            for s in world.regions[region].students
            if s["kind"] not in ("graduate", "invalid") and "arrived_from" not in s
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
    """Attendance only grows, but for the absences a clerk deleted between the two days
    (entered by mistake: PowerSchool deletes the row)."""
    world = World(seed=9, scale=0.03)
    first, second = dt.date(2026, 10, 15), dt.date(2026, 11, 20)
    early, late = world.view(first), world.view(second)
    for region in REGIONS:
        before = {a["dcid"]: a for a in early.sis[region]["attendance"]}
        after = {a["dcid"]: a for a in late.sis[region]["attendance"]}
        deleted = {
            a["dcid"]
            for a in world.regions[region].absences
            if a["deleted_at"] is not None and first < a["deleted_at"].date() <= second
        }
        assert set(before) - set(after) == deleted & set(before)
        assert set(after) - set(before)
        changed = [k for k in set(before) & set(after) if before[k] != after[k]]
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


# --- the untidy year ---------------------------------------------------------------------

END_OF_YEAR = dt.date(2027, 6, 30)


def _day_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=1)


def _shared_grades(tables) -> bool:
    """Whether two schools of a region teach one grade (a transfer can keep the grade)."""
    schools = [s for s in tables["schools"] if s["school_number"] != GRADUATED_SCHOOL]
    return any(
        max(a["low_grade"], b["low_grade"]) <= min(a["high_grade"], b["high_grade"])
        for i, a in enumerate(schools)
        for b in schools[i + 1 :]
    )


def _this_year(rows, world):
    return [r for r in rows if r["entrydate"] >= world.year.first_day]


@pytest.mark.parametrize(("seed", "scale"), [(5, 0.05), (7, 0.05), (11, 0.05), (11, 0.08)])
def test_every_untidy_case_happens_in_every_region(seed, scale):
    """Each case a real district has and tidy data never does, at least once per region
    where it can happen, as PowerSchool shows it at the end of the year; each appears
    only from the day it happens."""
    world = World(seed=seed, scale=scale)
    district = world.view(END_OF_YEAR)
    everyone = {
        region: {(s["first_name"], s["last_name"], s["dob"]): s for s in tables["students"]}
        for region, tables in district.sis.items()
    }
    for region, tables in district.sis.items():
        r = world.regions[region]
        students = {s["id"]: s for s in tables["students"]}
        earlier = _this_year(tables["reenrollments"], world)

        # withdrew, came back weeks later: the first stint is a re-enrollment
        returns = [
            e
            for e in earlier
            if e["exitcode"] == "T1"
            and students[e["studentid"]]["entrydate"] > e["exitdate"]
            and students[e["studentid"]]["enroll_status"] == ACTIVE
        ]
        assert returns, (region, "withdraw and re-enrol")

        # transfer inside the region: same record, the old school's courses end then
        transfers = [
            e
            for e in earlier
            if e["exitcode"] == "TR" and e["schoolid"] != students[e["studentid"]]["schoolid"]
        ]
        assert transfers or not _shared_grades(tables), (region, "transfer inside the region")
        for e in transfers:
            at_old = [
                c
                for c in tables["cc"]
                if c["studentid"] == e["studentid"] and c["schoolid"] == e["schoolid"]
            ]
            # every course there was over by then; those running were ended on the day
            assert at_old and all(c["dateleft"] <= e["exitdate"] for c in at_old)
            assert all(c["sectionid"] < 0 for c in at_old if c["dateleft"] == e["exitdate"])
            at_new = [
                c
                for c in tables["cc"]
                if c["studentid"] == e["studentid"]
                and c["schoolid"] == students[e["studentid"]]["schoolid"]
            ]
            assert at_new and all(c["dateenrolled"] >= e["exitdate"] for c in at_new)

        # grade change at the same school
        regraded = [
            e
            for e in earlier
            if e["schoolid"] == students[e["studentid"]]["schoolid"]
            and e["grade_level"] != students[e["studentid"]]["grade_level"]
        ]
        assert regraded, (region, "grade change")

        # moved to another region: left here, a new record there from the same day
        gone = [
            s
            for s in tables["students"]
            if s["enroll_status"] == 2
            and any(
                (there := others.get((s["first_name"], s["last_name"], s["dob"])))
                and there["entrydate"] == s["exitdate"]
                and there["student_number"] != s["student_number"]
                for name, others in everyone.items()
                if name != region
            )
        ]
        assert gone, (region, "moved to another region")
        assert any("arrived_from" in s for s in r.students), (region, "arrived from another")

        # twins: one name, one birth date, one school, two students who both count
        seen = Counter(
            (s["first_name"], s["last_name"], s["dob"], s["schoolid"])
            for s in tables["students"]
            if s["enroll_status"] == ACTIVE
        )
        assert max(seen.values()) >= 2, (region, "duplicate-looking students")

        # a section nobody is scheduled into
        scheduled = {abs(c["sectionid"]) for c in tables["cc"]}
        assert any(s["id"] not in scheduled for s in tables["sections"]), (region, "empty section")

        # a school day with no attendance taken at one school
        assert r.no_attendance, (region, "a day with no attendance")
        taken = {(a["schoolid"], a["att_date"]) for a in tables["attendance"]}
        assert not r.no_attendance & taken

        # stored grades changed after their term: this year's and last year's
        late = [
            g
            for g in tables["storedgrades"]
            if g["transaction_date"] is not None
            and g["transaction_date"].date() > g["datestored"] + dt.timedelta(days=2)
        ]
        assert any(g["termid"] // 100 == world.year.yearid for g in late), (region, "late grade")
        assert any(g["termid"] // 100 < world.year.yearid for g in late), (region, "late grade")

        # absences deleted as entered by mistake: served until the day they are deleted
        deleted = [a for a in r.absences if a["deleted_at"] is not None]
        assert deleted, (region, "deleted absence")
        served = {a["dcid"] for a in tables["attendance"]}
        assert not {a["dcid"] for a in deleted} & served


def test_each_change_appears_on_its_day():
    """The SIS shows a change from its day on, never before: a return, a transfer, a
    grade change, a move to another region, a deleted absence and a late grade."""
    world = World(seed=5, scale=0.05)
    for region, r in world.regions.items():
        changed = [s for s in r.students if len(s["stints"]) > 1]
        moved = [s for s in r.students if "moved_to" in s]
        for s in changed[:3] + moved[:1]:
            day = s["stints"][1]["entrydate"] if len(s["stints"]) > 1 else s["withdrawn"]
            before = {x["id"]: x for x in sis.view(world, r, _day_before(day))["students"]}
            after = sis.view(world, r, day)
            now = {x["id"]: x for x in after["students"]}[s["id"]]
            assert now != before[s["id"]] and now["transaction_date"] > (
                before[s["id"]]["transaction_date"] or dt.datetime.min
            )
            if len(s["stints"]) > 1:
                assert now["entrydate"] == day and now["enroll_status"] == ACTIVE
                assert before[s["id"]]["entrydate"] < day
                assert any(
                    e["studentid"] == s["id"] and e["exitdate"] == s["stints"][0]["left"]
                    for e in after["reenrollments"]
                )
            else:
                arrival = next(
                    x
                    for x in world.regions[s["moved_to"]].students
                    if x.get("arrived_from") == region
                    and x["dob"] == s["dob"]
                    and x["first_name"] == s["first_name"]
                )
                there = sis.view(world, world.regions[s["moved_to"]], _day_before(day))
                assert arrival["id"] not in {x["id"] for x in there["students"]}
                assert now["enroll_status"] == 2 and now["exitdate"] == day
        a = next(a for a in r.absences if a["deleted_at"] is not None)
        shown = {
            x["dcid"] for x in sis.view(world, r, _day_before(a["deleted_at"].date()))["attendance"]
        }
        gone = {x["dcid"] for x in sis.view(world, r, a["deleted_at"].date())["attendance"]}
        assert a["dcid"] in shown and a["dcid"] not in gone
        p = next(p for p in r.prior_grades if p.get("late_change"))
        day, percent = p["late_change"]
        old = {g["dcid"]: g for g in sis.view(world, r, _day_before(day))["storedgrades"]}[
            p["dcid"]
        ]
        new = {g["dcid"]: g for g in sis.view(world, r, day)["storedgrades"]}[p["dcid"]]
        assert (old["percent"], new["percent"]) == (p["percent"], percent)
        assert (
            new["datestored"] == old["datestored"]
            # a row untouched since before stamps began had none (NULL)
            and new["transaction_date"] > (old["transaction_date"] or dt.datetime.min)
        )
        assert new["grade"] != old["grade"]


def test_names_as_rosters_hold_them():
    """Names with spaces, hyphens, apostrophes, accents, other scripts and near the
    50-character limit, for students and staff, and the SFTP export carries them intact
    (PowerSchool writes its export in UTF-8)."""
    from sandbox.names import NAME_LIMIT
    from teamster.libraries.powerschool.sis.schema import read_drop

    district = generate(seed=5, scale=0.05)
    people = [
        name
        for tables in district.sis.values()
        for table in ("students", "users")
        for row in tables[table]
        for name in (row["first_name"], row["last_name"])
    ]
    assert any(" " in n for n in people) and any("-" in n for n in people)
    assert any("'" in n for n in people) and any(not n.isascii() for n in people)
    assert any(not any("a" <= c.lower() <= "z" for c in n) for n in people)  # no Latin letter
    assert max(map(len, people)) >= 40 and all(len(n) <= NAME_LIMIT for n in people)
    rows = district.sis["kipppaterson"]["students"]
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "students.csv"
        path.write_bytes(sis.export_csv("students", rows))
        landed = read_drop(path, "students", "students.csv").to_pylist()
    assert [(r["first_name"], r["last_name"]) for r in landed] == [
        (r["first_name"], r["last_name"]) for r in rows
    ]
    assert any(not r["last_name"].isascii() for r in landed)
