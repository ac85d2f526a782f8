from sandbox.generator import ACTIVE, REGIONS, generate


def test_same_seed_same_district():
    a, b = generate(seed=3, scale=0.02), generate(seed=3, scale=0.02)
    assert a.tables == b.tables
    assert generate(seed=4, scale=0.02).tables != a.tables


def test_scale_multiplies_students():
    small, large = generate(seed=1, scale=0.02), generate(seed=1, scale=0.08)
    for region in REGIONS:
        assert len(large.tables[region]["students"]) == 4 * len(small.tables[region]["students"])


def test_truth_counts_active_students_per_region():
    district = generate(seed=5, scale=0.05)
    truth = district.truth()
    for region, tables in district.tables.items():
        active = [s for s in tables["students"] if s["enroll_status"] == ACTIVE]
        assert truth["students_by_region"][region] == len(active)
        assert 0 < len(active) < len(tables["students"])  # withdrawals exist


def test_students_belong_to_their_regions_schools():
    district = generate(seed=5, scale=0.05)
    for tables in district.tables.values():
        numbers = {s["school_number"]: s for s in tables["schools"]}
        for student in tables["students"]:
            school = numbers[student["schoolid"]]
            assert school["low_grade"] <= student["grade_level"] <= school["high_grade"]
