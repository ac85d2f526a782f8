import datetime as dt

from sandbox.generator import ACTIVE, REGIONS, World, generate
from sandbox.postgres import SIS_DDL


def test_same_seed_same_district():
    a, b = generate(seed=3, scale=0.02), generate(seed=3, scale=0.02)
    assert a.sis == b.sis and a.deanslist == b.deanslist and a.adp_gl == b.adp_gl
    assert generate(seed=4, scale=0.02).sis != a.sis


def test_scale_multiplies_students():
    small, large = World(seed=1, scale=0.02), World(seed=1, scale=0.08)
    for region in REGIONS:
        assert len(large.regions[region].students) == 4 * len(small.regions[region].students)


def test_every_sis_table_has_its_declared_columns():
    district = generate(seed=2, scale=0.02)
    for region, tables in district.sis.items():
        assert set(tables) == set(SIS_DDL), region
        for table, rows in tables.items():
            assert rows, f"{region}.{table} is empty"
            assert list(rows[0]) == list(SIS_DDL[table]), f"{region}.{table}"


def test_truth_counts_active_students_per_region():
    district = generate(seed=5, scale=0.05)
    truth = district.truth()
    for region, tables in district.sis.items():
        active = [s for s in tables["students"] if s["enroll_status"] == ACTIVE]
        assert truth["students_by_region"][region] == len(active)
        assert 0 < len(active) < len(tables["students"])  # withdrawals exist


def test_foreign_keys_join():
    district = generate(seed=5, scale=0.05)
    for tables in district.sis.values():
        schools = {s["school_number"]: s for s in tables["schools"]}
        students = {s["id"] for s in tables["students"]}
        sections = {s["id"] for s in tables["sections"]}
        staff = {s["id"] for s in tables["schoolstaff"]}
        codes = {c["id"] for c in tables["attendance_code"]}
        for s in tables["students"]:
            school = schools[s["schoolid"]]
            assert school["low_grade"] <= s["grade_level"] <= school["high_grade"]
        assert all(c["studentid"] in students and c["sectionid"] in sections for c in tables["cc"])
        assert all(s["teacher"] in staff for s in tables["sections"])
        assert all(
            a["attendance_codeid"] in codes and a["studentid"] in students
            for a in tables["attendance"]
        )


def test_a_later_view_keeps_the_past_and_adds_to_it():
    world = World(seed=9, scale=0.03)
    early, late = world.view(dt.date(2026, 10, 15)), world.view(dt.date(2026, 11, 20))
    for region in REGIONS:
        before = {a["dcid"]: a for a in early.sis[region]["attendance"]}
        after = {a["dcid"]: a for a in late.sis[region]["attendance"]}
        assert set(before) < set(after)
        changed = [k for k in before if before[k] != after[k]]
        # only absences excused after the earlier day change, and they move whenmodified
        assert all(after[k]["whenmodified"] > before[k]["whenmodified"] for k in changed)
        assert all(a["att_date"] <= dt.date(2026, 10, 15) for a in before.values())
    assert len(late.adp_gl) > len(early.adp_gl)
    assert sum(map(len, late.enrollment_submissions.values())) > sum(
        map(len, early.enrollment_submissions.values())
    )


def test_ada_truth_is_a_rate_per_school():
    truth = generate(seed=5, scale=0.05).truth()
    for region, plan in REGIONS.items():
        ada = truth["ada_by_school"][region]
        assert len(ada) == len(plan["schools"])
        assert all(0.8 < v < 1.0 for v in ada.values())
        assert all(0 <= v <= 1 for v in truth["chronic_absence_by_school"][region].values())


def test_whenmodified_moves_whenever_a_row_changes():
    """What an incremental load relies on: a changed row has a later whenmodified."""
    world = World(seed=9, scale=0.03)
    early, late = world.view(dt.date(2026, 10, 15)), world.view(dt.date(2026, 12, 4))
    for region in REGIONS:
        for table, rows in late.sis[region].items():
            key = "dcid" if "dcid" in SIS_DDL[table] else "studentsdcid"
            before = {r[key]: r for r in early.sis[region][table]}
            for row in rows:
                old = before.get(row[key])
                if old is not None and old != row:
                    assert row["whenmodified"] > old["whenmodified"], (region, table, row[key])
