"""The powerschool package and kipptaf's PowerSchool marts against the sandbox's truth.

One build serves the module: the session's district is ingested (PowerSchool SIS of
all four regions) and every PowerSchool dbt node is materialized through Dagster,
regions first, then kipptaf, then the regions' AutoComm wrappers, the order the
demo's cross-location plan takes. Then ADA, chronic absence and the counts must be
exactly what the generator says, and still after `advance` moves the district on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance
from truth.compare import assert_matches

from sandbox.expected import Expected, district_of
from sandbox.expected.powerschool import AUTOCOMM_STUDENTS, RELATIONS, STUDENT_FILTERS, tables
from teamster.core.locations import load_definitions
from teamster.core.regions import REGIONS

AUTOCOMM_REGIONS = ("kippnewark", "kippcamden", "kippmiami")
EXTRACTS = (
    "rpt_powerschool__autocomm_students",
    "rpt_powerschool__autocomm_teachers",
    "rpt_powerschool__autocomm_students_iep",
)
KIPPTAF_MARTS = {
    "dim_students",
    "dim_schools",
    "fct_enrollments",
    "fct_daily_attendance",
    "fct_school_attendance",
    "fct_grades",
    "fct_gpa",
    "dim_teachers",
    "fct_section_rosters",
}
# sandbox.expected.powerschool's relations this module builds: all but the student
# filters, which read i-Ready and DeansList too (tests/truth checks them on the demo)
BUILT = tuple(r for r in RELATIONS if r != STUDENT_FILTERS)
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
TOLERANCE = 1e-9


def _run(location: str, keys: Iterable[AssetKey], instance: DagsterInstance) -> None:
    """Materialize ``keys`` of one location: unpartitioned ones in one run, then one run
    per partition key for the partitioned ones (the SIS's fiscal years)."""
    defs = load_definitions(location)
    graph = defs.resolve_asset_graph()
    job = defs.resolve_implicit_global_asset_job_def()
    by_partition: dict[str | None, list[AssetKey]] = {}
    for key in sorted(keys):
        partitions = graph.get(key).partitions_def
        for partition_key in (
            partitions.get_partition_keys(dynamic_partitions_store=instance)
            if partitions
            else [None]
        ):
            by_partition.setdefault(partition_key, []).append(key)
    runs = sorted(by_partition.items(), key=lambda item: item[0] is not None)
    for partition_key, selection in runs:
        result = job.execute_in_process(
            asset_selection=selection,
            instance=instance,
            partition_key=partition_key,
            run_config=QUIET,
            raise_on_error=False,
        )
        failed = [e.step_key for e in result.all_events if e.is_step_failure]
        assert result.success, f"{location} ({partition_key}): failed steps {failed}"


def _keys(location: str, wanted) -> set[AssetKey]:
    graph = load_definitions(location).resolve_asset_graph()
    return {k for k in graph.materializable_asset_keys if wanted(k, graph.get(k).group_name)}


def _sis(region: str) -> set[AssetKey]:
    return _keys(region, lambda _, group: group == "powerschool_sis")


def _package(region: str) -> set[AssetKey]:
    """The powerschool package's models built in ``region`` (dbt groups by package)."""
    return _keys(region, lambda _, group: group == "powerschool")


def _ingest_and_build(region: str, instance: DagsterInstance) -> None:
    _run(region, _sis(region), instance)
    _run(region, _package(region), instance)


def _query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def truth(sandbox, settings) -> dict[str, Any]:
    """The district as built: every PowerSchool asset materialized once; its truth."""
    with DagsterInstance.ephemeral() as instance:
        for region in REGIONS:
            _ingest_and_build(region, instance)
        _run(
            "kipptaf",
            _keys(
                "kipptaf",
                lambda k, _: (
                    k.path[-1].startswith(("int_powerschool__", "rpt_powerschool__"))
                    or k.path[-1] in KIPPTAF_MARTS
                ),
            ),
            instance,
        )
        for region in AUTOCOMM_REGIONS:
            _run(region, {AssetKey([region, "extracts", name]) for name in EXTRACTS}, instance)
    return sandbox.truth()


@pytest.fixture(scope="module")
def expected(truth, sandbox) -> dict[str, Expected]:
    """sandbox.expected.powerschool's rows for the district as built (before `advance`)."""
    return {e.relation: e for e in tables(district_of(sandbox.root), BUILT)}


def _by_school(rows: Iterable[tuple]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for region, school, value in rows:
        out.setdefault(region, {})[str(school)] = value
    return out


def _assert_close(actual: dict[str, dict[str, float]], expected: dict[str, dict[str, float]]):
    assert {r: sorted(s) for r, s in actual.items()} == {r: sorted(s) for r, s in expected.items()}
    for region, schools in expected.items():
        for school, value in schools.items():
            assert actual[region][school] == pytest.approx(value, abs=TOLERANCE), (region, school)


def _current_year(sandbox) -> int:
    return sandbox.state()["start_year"]


def test_ada_and_chronic_absence_per_school_match_truth(truth, sandbox, settings):
    rows = _query(
        settings,
        "select code_location, school_number, ada, chronic_absence_rate "
        f"from kipptaf.fct_school_attendance where academic_year = {_current_year(sandbox)}",
    )
    _assert_close(_by_school((r, s, ada) for r, s, ada, _ in rows), truth["ada_by_school"])
    _assert_close(
        _by_school((r, s, rate) for r, s, _, rate in rows), truth["chronic_absence_by_school"]
    )


def test_students_and_schools_per_region_match_truth(truth, settings):
    students = dict(
        _query(settings, "select code_location, count(*) from kipptaf.dim_students group by 1")
    )
    schools = dict(
        _query(settings, "select code_location, count(*) from kipptaf.dim_schools group by 1")
    )
    by_grade: dict[str, dict[str, dict[str, int]]] = {}
    for region, school, grade, n in _query(
        settings,
        "select code_location, school_number, grade_level, count(*) "
        "from kipptaf.dim_students group by all",
    ):
        by_grade.setdefault(region, {}).setdefault(str(school), {})[str(grade)] = n
    assert students == truth["students_by_region"]
    assert schools == truth["schools_by_region"]
    assert by_grade == truth["students_by_school_grade"]


def test_current_enrollments_are_the_enrolled_students(truth, settings):
    current = dict(
        _query(
            settings,
            "select code_location, count(distinct student_number) "
            "from kipptaf.fct_enrollments where is_current group by 1",
        )
    )
    assert current == truth["students_by_region"]


def test_each_region_pushes_exactly_its_own_rows(truth, settings):
    for region in AUTOCOMM_REGIONS:
        for name in EXTRACTS:
            mine = _query(settings, f"select * from {region}_extracts.{name} order by all")
            network = _query(
                settings,
                f"select * from kipptaf_extracts.{name} "
                f"where code_location = '{region}' order by all",
            )
            assert mine == network and mine, (region, name)
        (students,) = _query(
            settings, f"select count(*) from {region}_extracts.rpt_powerschool__autocomm_students"
        )[0]
        assert students == truth["students_by_region"][region]
    paterson = _query(
        settings,
        "select count(*) from information_schema.tables "
        "where table_schema = 'kipppaterson_extracts'",
    )
    assert paterson == [(0,)]


def test_extracts_carry_web_ids_and_never_passwords(expected, settings):
    columns = [
        name
        for (name,) in _query(
            settings,
            "select column_name from information_schema.columns "
            "where table_schema = 'kipptaf_extracts' and table_name like 'rpt_powerschool__%'",
        )
    ]
    assert not [c for c in columns if "password" in c]
    students = expected[AUTOCOMM_STUDENTS]
    wanted = ("code_location", "student_number", "student_web_id", "parent_web_id")
    at = [students.columns.index(c) for c in wanted]
    web_ids = Expected(
        students.relation, wanted, 2, [tuple(row[i] for i in at) for row in students.rows]
    )
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        assert_matches(con, [web_ids])
    # one login per student: twins who share a name still get their own
    assert len({(row[0], row[2]) for row in web_ids.rows}) == len(web_ids.rows)


def test_names_and_birth_dates_land_as_powerschool_holds_them(truth, sandbox, settings):
    """Names with spaces, apostrophes, accents and other scripts, through both SIS paths
    (SQL and Paterson's SFTP export) and dbt, unchanged; twins who share a name and a
    birth date stay two students."""
    district = district_of(sandbox.root)
    assert district.as_of.isoformat() == truth["as_of"]
    for region, served_tables in district.sis.items():
        served = sorted(
            (s["id"], s["first_name"], s["last_name"], s["dob"]) for s in served_tables["students"]
        )
        assert (
            _query(
                settings,
                f"select id, first_name, last_name, dob from {region}_powerschool.students "
                "order by 1",
            )
            == served
        ), region
        staff = sorted((u["dcid"], u["first_name"], u["last_name"]) for u in served_tables["users"])
        assert (
            _query(
                settings,
                f"select dcid, first_name, last_name from {region}_powerschool.users order by 1",
            )
            == staff
        ), region
        enrolled = sorted(
            (s["student_number"], s["first_name"], s["last_name"], s["dob"])
            for s in served_tables["students"]
            if s["enroll_status"] == 0
        )
        assert (
            _query(
                settings,
                "select student_number, first_name, last_name, date_of_birth "
                f"from kipptaf.dim_students where code_location = '{region}' order by 1",
            )
            == enrolled
        ), region
        assert any(not first.isascii() or not last.isascii() for _, first, last, _ in enrolled)


def test_gpa_counts_only_y1_finals(truth, settings):
    """PowerSchool stores quarter grades with no GPA points: GPA is the mean of the Y1
    finals' points, courses excluded from GPA left out."""
    actual: dict[str, dict[str, dict[str, float]]] = {}
    for region, year, number, gpa in _query(
        settings, "select code_location, academic_year, student_number, gpa from kipptaf.fct_gpa"
    ):
        actual.setdefault(region, {}).setdefault(str(year), {})[str(number)] = gpa
    expected = truth["gpa_by_student"]
    assert {r: {y: sorted(s) for y, s in ys.items()} for r, ys in actual.items()} == {
        r: {y: sorted(s) for y, s in ys.items()} for r, ys in expected.items() if ys
    }
    for region, years in expected.items():
        for year, students in years.items():
            for number, gpa in students.items():
                assert actual[region][year][number] == pytest.approx(gpa, abs=TOLERANCE)


def test_ended_enrollments_are_told_apart_drops_from_departures(truth, settings):
    rows = _query(
        settings,
        "select code_location, "
        "count(case when not is_dropped and not is_left_school then 1 end), "
        "count(case when is_dropped then 1 end), count(case when is_left_school then 1 end) "
        "from kipptaf.fct_section_rosters group by 1",
    )
    actual = {r: {"running": a, "dropped": d, "left_school": x} for r, a, d, x in rows}
    assert actual == truth["course_enrollments_by_region"]
    assert all(c["dropped"] and c["left_school"] for c in actual.values())


def test_flags_read_from_their_real_encodings(truth, settings):
    rows = _query(
        settings,
        "select code_location, count(case when is_lep then 1 end), "
        "count(case when has_504 then 1 end), count(case when has_iep then 1 end) "
        "from kipptaf.dim_students group by 1",
    )
    assert {r: {"lep": lep, "504": s, "iep": iep} for r, lep, s, iep in rows} == truth[
        "flags_by_region"
    ]


@pytest.mark.parametrize("relation", BUILT)
def test_relation_matches_truth_row_by_row(relation, expected, settings):
    """Every row and value of the marts and extracts, as tests/truth checks the demo's:
    another seed and scale."""
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        assert_matches(con, [expected[relation]])


def test_attendance_follows_the_district_after_advance(truth, sandbox, settings):
    """The membership window comes from the data: after `advance` the same models
    count the new school days, with no variable changed."""
    region = "kippnewark"
    before = dt.date.fromisoformat(truth["as_of"])
    later = sandbox.advance(days=4)
    assert dt.date.fromisoformat(later["as_of"]) > before
    with DagsterInstance.ephemeral() as instance:
        _ingest_and_build(region, instance)
    rows = _query(
        settings,
        "select school_number, ada, chronic_absence_rate, membership_days "
        f"from {region}_powerschool.int_powerschool__school_attendance "
        f"where academic_year = {_current_year(sandbox)}",
    )
    ada = {str(s): a for s, a, _, _ in rows}
    chronic = {str(s): c for s, _, c, _ in rows}
    _assert_close({region: ada}, {region: later["ada_by_school"][region]})
    _assert_close({region: chronic}, {region: later["chronic_absence_by_school"][region]})
    assert later["ada_by_school"][region] != truth["ada_by_school"][region]
