"""i-Ready results files: the strict reader, the crosswalk config, and the asset and sensor
against the sandbox's SFTP server (real folders and file-name variants)."""

import csv
import datetime as dt
import io
import os
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context

from sandbox.expected import district_of
from sandbox.faults import corrupt_file
from sandbox.vendors import iready as vendor
from teamster.core.locations import load_definitions
from teamster.core.regions import REGIONS
from teamster.core.settings import SettingsError
from teamster.libraries.iready.config import load_iready_config
from teamster.libraries.iready.resources import iready_resource
from teamster.libraries.iready.schema import SCHEMA, IReadyFileError, read_results, subject_of

CONFIG = Path(__file__).parents[4] / "src" / "teamster" / "code_locations"
CROSSWALK = {"KIPP SPARK Academy Charter School": 101, "KIPP Rise Academy Charter School": 104}
INTERFACE = pa.schema(
    [
        ("academic_year", pa.string()),
        ("school", pa.string()),
        ("student_id", pa.string()),
        ("student_grade", pa.string()),
        ("last_name", pa.string()),
        ("first_name", pa.string()),
        ("subject", pa.string()),
        ("start_date", pa.date32()),
        ("completion_date", pa.date32()),
        ("baseline_diagnostic_y_n", pa.string()),
        ("most_recent_diagnostic_ytd_y_n", pa.string()),
        ("duration_min", pa.int64()),
        ("overall_scale_score", pa.int64()),
        ("overall_relative_placement", pa.string()),
        ("percentile", pa.int64()),
        ("mid_on_grade_level_scale_score", pa.int64()),
        ("annual_typical_growth_measure", pa.int64()),
        ("annual_stretch_growth_measure", pa.int64()),
        ("diagnostic_gain", pa.int64()),
        ("percent_progress_to_annual_typical_growth_percent", pa.float64()),
        ("percent_progress_to_annual_stretch_growth_percent", pa.float64()),
        ("school_number", pa.int64()),
        ("source_file_name", pa.string()),
    ]
)
ROW = {
    "Academic Year": "2026-2027",
    "School": "KIPP SPARK Academy Charter School",
    "Student ID": "1001",
    "Student Grade": "K",
    "Last Name": "Rivera",
    "First Name": "Ana",
    "Subject": "Reading",
    "Start Date": "09/14/2026",
    "Completion Date": "09/15/2026",
    "Baseline Diagnostic (Y/N)": "Y",
    "Most Recent Diagnostic YTD (Y/N)": "Y",
    "Duration (min)": "41",
    "Overall Scale Score": "362",
    "Overall Relative Placement": "Early On Grade Level",
    "Percentile": "48",
    "Mid On Grade Level Scale Score": "380",
    "Annual Typical Growth Measure": "30",
    "Annual Stretch Growth Measure": "42",
    "Diagnostic Gain": "",
    "Percent Progress to Annual Typical Growth (%)": "",
    "Percent Progress to Annual Stretch Growth (%)": "",
}


def _write(path: Path, rows: list[dict], header: list[str] | None = None) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(ROW), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())
    return path


def _read(path: Path, subject: str = "ela") -> pa.Table:
    return read_results(path, subject, path.name, CROSSWALK, "iready.yaml")


def _count(settings, sql: str) -> int:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return con.execute(sql).fetchone()[0]


def _materialize(location: str, subject: str, **kwargs):
    job = load_definitions(location).resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        asset_selection=[AssetKey([location, "iready", "diagnostic_results"])],
        partition_key=subject,
        instance=kwargs.pop("instance", None) or DagsterInstance.ephemeral(),
        **kwargs,
    )


def _export(sandbox, region: str, subject: str) -> Path:
    relative = vendor.remote_path(region, subject).lstrip("/")
    return sandbox.root / "sftp" / "iready" / region / relative


# --- the file reader ---------------------------------------------------------------------


def test_declared_schema_is_the_interface():
    assert SCHEMA == INTERFACE


def test_file_names_are_matched_by_pattern():
    assert subject_of("diagnostic_results_ela.csv") == "ela"
    assert subject_of("diagnostic_results_math_CONFIDENTIAL.csv") == "math"
    for name in (
        "diagnostic_results_science.csv",
        "diagnostic_results_ela_confidential.csv",
        "personalized_instruction_summary_ela_CONFIDENTIAL.csv",
        "diagnostic_results_ela.csv.part",
    ):
        assert subject_of(name) is None


def test_headers_become_slugs_values_are_typed_and_the_school_is_crosswalked(tmp_path):
    """Extra columns are ignored; header case and punctuation do not matter; a BOM and CRLF
    are fine; K stays a grade; demo ids stay text; whole numbers written as decimals are
    cast like BigQuery casts NUMERIC (halves away from zero)."""
    header = ["Extra", *(h.upper() if h == "Student ID" else h for h in ROW)]
    second = {
        **ROW,
        "Student ID": "DEMO-1",
        "School": "KIPP Rise Academy Charter School",
        "Student Grade": "8",
        "Percentile": "48.5",
        "Diagnostic Gain": "-3.0",
        "Percent Progress to Annual Typical Growth (%)": "12.5",
    }
    rows = [
        {"Extra": "x", **{k.upper() if k == "Student ID" else k: v for k, v in r.items()}}
        for r in (ROW, second)
    ]
    path = _write(tmp_path / "diagnostic_results_ela_CONFIDENTIAL.csv", rows, header)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    table = _read(path)
    assert table.schema == INTERFACE
    first, other = table.to_pylist()
    assert first["student_id"] == "1001" and first["student_grade"] == "K"
    assert first["completion_date"] == dt.date(2026, 9, 15)
    assert first["percentile"] == 48 and first["diagnostic_gain"] is None
    assert first["school_number"] == 101 and other["school_number"] == 104
    assert first["source_file_name"] == "diagnostic_results_ela_CONFIDENTIAL.csv"
    assert other["student_id"] == "DEMO-1" and other["percentile"] == 49
    assert other["diagnostic_gain"] == -3
    assert other["percent_progress_to_annual_typical_growth_percent"] == 12.5


def test_the_older_most_recent_header_is_read_under_the_same_column(tmp_path):
    header = ["Most Recent Diagnostic (Y/N)" if h.startswith("Most Recent") else h for h in ROW]
    old = {
        ("Most Recent Diagnostic (Y/N)" if k.startswith("Most") else k): v for k, v in ROW.items()
    }
    table = _read(
        _write(tmp_path / "r.csv", [{**old, "Most Recent Diagnostic (Y/N)": "N"}], header)
    )
    assert table.column("most_recent_diagnostic_ytd_y_n").to_pylist() == ["N"]

    both = _write(
        tmp_path / "both.csv",
        [{**ROW, "Most Recent Diagnostic (Y/N)": "N"}],
        [*ROW, "Most Recent Diagnostic (Y/N)"],
    )
    with pytest.raises(IReadyFileError, match="line 1: both of 'Most Recent Diagnostic YTD"):
        _read(both)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"Completion Date": "2026-09-15"}, "column 'Completion Date': '2026-09-15' is not a date"),
        ({"Student Grade": "13"}, "column 'Student Grade': '13' is not one of"),
        ({"Subject": "Math"}, "column 'Subject': 'Math' is not 'Reading' \\(this is the ela"),
        ({"Academic Year": "2026-2028"}, "column 'Academic Year': '2026-2028' is not a school"),
        ({"Student ID": ""}, "column 'Student ID': a value is required"),
        ({"Overall Scale Score": "3.5"}, "column 'Overall Scale Score': '3.5' is not a whole"),
        ({"Percentile": "high"}, "column 'Percentile': 'high' is not a number"),
        ({"Baseline Diagnostic (Y/N)": "Yes"}, "column 'Baseline Diagnostic \\(Y/N\\)': 'Yes'"),
        ({"Overall Relative Placement": "On Grade"}, "column 'Overall Relative Placement'"),
    ],
)
def test_a_bad_value_names_file_line_and_column(tmp_path, change, message):
    path = _write(tmp_path / "r.csv", [ROW, {**ROW, **change}, ROW])
    with pytest.raises(IReadyFileError, match="^r.csv, line 3, " + message):
        _read(path)


def test_a_school_the_crosswalk_does_not_know_fails_naming_it(tmp_path):
    path = _write(tmp_path / "r.csv", [ROW, {**ROW, "School": "KIPP New Academy"}])
    with pytest.raises(IReadyFileError) as info:
        _read(path)
    message = str(info.value)
    assert message.startswith("r.csv, line 3, column 'School': 'KIPP New Academy' is not a school")
    assert "iready.yaml" in message


def test_renamed_or_missing_columns_short_rows_and_truncation_are_refused(tmp_path):
    renamed = ["Percentile Rank" if h == "Percentile" else h for h in ROW]
    row = {("Percentile Rank" if k == "Percentile" else k): v for k, v in ROW.items()}
    with pytest.raises(IReadyFileError, match="line 1: missing column\\(s\\) 'percentile'"):
        _read(_write(tmp_path / "a.csv", [row], renamed))

    last = {**ROW, "Percent Progress to Annual Stretch Growth (%)": "12.5"}
    path = _write(tmp_path / "b.csv", [ROW, ROW, last])
    text = path.read_bytes().decode()
    short = text[: text.rindex("\r\n", 0, len(text) - 2) + 2] + "2026-2027,KIPP"
    path.write_bytes((short + "\r\n").encode())
    with pytest.raises(IReadyFileError, match=f"line 4: expected {len(ROW)} fields, found 2"):
        _read(path)
    path.write_bytes(short.encode())  # cut mid-row: the missing line ending says so first
    with pytest.raises(IReadyFileError, match="line 4: the last row has no line ending"):
        _read(path)

    path.write_bytes(text[:-3].encode())  # cut inside the last value: the row has every field
    with pytest.raises(IReadyFileError, match="line 4: the last row has no line ending"):
        _read(path)


# --- the crosswalk config -----------------------------------------------------------------


def test_every_region_has_a_valid_crosswalk():
    for location in REGIONS:
        config = load_iready_config(CONFIG / location / "config" / "iready.yaml")
        assert config.site_folder and config.crosswalk


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("iready:\n  site_folder: a\n  schools: []\n", "list at least one school"),
        (
            "iready:\n  site_folder: a\n  schools:\n"
            "    - {iready_school_name: A, school_number: 1}\n"
            "    - {iready_school_name: A, school_number: 2}\n",
            "listed twice",
        ),
        ("iready:\n  site_folder: ../up\n  schools: []\n", "is not a folder name"),
        ("iready:\n  schools: [{iready_school_name: A, school_number: 1}]\n", "site_folder"),
        (
            "iready:\n  site_folder: a\n  schools: [{iready_school_name: A, school: 1}]\n",
            "school_number",
        ),
    ],
)
def test_a_bad_crosswalk_names_the_file(tmp_path, body, problem):
    path = tmp_path / "iready.yaml"
    path.write_text(body)
    with pytest.raises(SettingsError, match=f"{path}: invalid `iready` section") as info:
        load_iready_config(path)
    assert problem in str(info.value)


# --- the asset against the sandbox --------------------------------------------------------


def test_every_region_lands_its_truth_and_a_rerun_replaces(sandbox, settings):
    truth = sandbox.truth()
    for location in REGIONS:
        rows = truth["iready_by_region"][location]
        for subject in ("ela", "math"):
            result = _materialize(location, subject)
            [m] = result.asset_materializations_for_node(f"{location}__iready__diagnostic_results")
            assert m.metadata["dagster/row_count"].value == rows[subject]
            assert m.metadata["source/file_name"].value == vendor.file_name(location, subject)
        table = f"{location}_iready.diagnostic_results"
        by_subject = f"select count(*) from {table} where subject = "
        assert _count(settings, by_subject + "'Reading'") == rows["ela"]
        assert _count(settings, by_subject + "'Math'") == rows["math"]
        with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
            per_school = dict(
                con.execute(
                    f"select cast(school_number as varchar), count(*) from {table} "
                    "where try_cast(student_id as bigint) is not null group by 1"
                ).fetchall()
            )
        assert per_school == truth["iready_diagnostics_by_school"][location]
        # names as the export writes them (spaces, apostrophes, accents, other scripts)
        served = sorted(
            (str(r["Student ID"]), r["Subject"], r["First Name"], r["Last Name"])
            for rows_of in district_of(sandbox.root).iready[location].values()
            for r in rows_of
        )
        with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
            landed = sorted(
                con.execute(
                    f"select student_id, subject, first_name, last_name from {table}"
                ).fetchall()
            )
        assert landed == served and any(not row[3].isascii() for row in landed)
    # grades K..8 as text, and the year as the vendor writes it
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        grades = {
            r[0]
            for r in con.execute(
                "select distinct student_grade from kippnewark_iready.diagnostic_results"
            ).fetchall()
        }
    assert "K" in grades and grades <= {"K", *map(str, range(1, 9))}

    total = "select count(*) from kippmiami_iready.diagnostic_results"
    before = _count(settings, total)
    _materialize("kippmiami", "math")  # a rerun replaces exactly its subject's rows
    assert _count(settings, total) == before


def test_malformed_file_names_file_line_column_and_keeps_the_previous_data(sandbox, settings):
    _materialize("kippcamden", "ela")
    _materialize("kippcamden", "math")
    table = "kippcamden_iready.diagnostic_results"
    rows = _count(settings, f"select count(*) from {table}")
    landed = settings.landing.root / "kippcamden" / "iready" / "diagnostic_results" / "subject=ela"
    good = (landed / "data.parquet").read_bytes()

    drop = _export(sandbox, "kippcamden", "ela")
    original = drop.read_bytes()
    try:
        corrupt_file(drop, "malformed")  # the sandbox's fault: the first field of line 3
        result = _materialize("kippcamden", "ela", raise_on_error=False)
    finally:
        drop.write_bytes(original)

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert "@127.0.0.1:" in message and "/Current_Year/diagnostic_results_ela.csv" in message
    assert "line 3, column 'Academic Year': 'not-a-number' is not a school year" in message
    assert _count(settings, f"select count(*) from {table}") == rows
    assert (landed / "data.parquet").read_bytes() == good
    assert [p.name for p in landed.iterdir()] == ["data.parquet"]  # no partial file


def test_two_files_for_one_subject_fail_naming_both(sandbox, settings):
    location = "kippnewark"
    resource = iready_resource(location, settings, CONFIG / location / "config" / "iready.yaml")
    served = _export(sandbox, location, "math")
    plain = served.with_name("diagnostic_results_math.csv")
    plain.write_bytes(served.read_bytes())
    try:
        with pytest.raises(IReadyFileError, match="more than one results file") as info:
            resource.fetch("math")
    finally:
        plain.unlink()
    assert plain.name in str(info.value) and served.name in str(info.value)
    assert (
        resource.fetch("math").table.num_rows
        == sandbox.truth()["iready_by_region"][location]["math"]
    )


def test_sensor_requests_new_changed_and_renamed_files_only(sandbox, settings, tmp_path):
    location = "kipppaterson"
    defs = load_definitions(location)
    sensor = defs.resolve_sensor_def(f"{location}__iready__changes")
    instance = DagsterInstance.local_temp(str(tmp_path))

    def requested() -> list[tuple[str, str]]:
        with build_sensor_context(
            instance=instance, definitions=defs, resources={"iready": defs.resources["iready"]}
        ) as context:
            data = sensor.evaluate_tick(context)
        return sorted((r.partition_key, r.run_key) for r in data.run_requests or [])

    assert [p for p, _ in requested()] == ["ela", "math"]  # never loaded
    _materialize(location, "ela", instance=instance)
    _materialize(location, "math", instance=instance)
    assert requested() == []

    drop = _export(sandbox, location, "math")
    stat = drop.stat()
    os.utime(drop, (stat.st_atime, stat.st_mtime + 3600))  # i-Ready rewrote the file
    try:
        [(subject, run_key)] = requested()
    finally:
        os.utime(drop, (stat.st_atime, stat.st_mtime))
    assert subject == "math"
    assert run_key == f"{drop.name}:{int(stat.st_mtime) + 3600}:{stat.st_size}"

    renamed = drop.with_name("diagnostic_results_math_CONFIDENTIAL.csv")
    drop.rename(renamed)  # i-Ready switched this site to the _CONFIDENTIAL name
    try:
        os.utime(renamed, (stat.st_atime, stat.st_mtime + 60))
        [(subject, run_key)] = requested()
    finally:
        renamed.rename(drop)
        os.utime(drop, (stat.st_atime, stat.st_mtime))
    assert subject == "math" and run_key.startswith("diagnostic_results_math_CONFIDENTIAL.csv:")


def test_the_sandbox_flags_one_latest_diagnostic_per_student_and_subject(sandbox):
    """What the vendor's flag means, on the sandbox's own rows (the warehouse test is in
    tests/test_demo.py)."""
    from sandbox.generator import World

    state = sandbox.state()
    world = World(state["seed"], state["scale"], state["start_year"])
    district = world.view(world.school_days[-1])  # every window has happened
    for region, files in district.iready.items():
        header = vendor.most_recent_header(region)
        for subject, rows in files.items():
            latest = Counter(r["Student ID"] for r in rows if r[header] == "Y")
            assert set(latest.values()) == {1}, (region, subject)
            assert set(latest) == {r["Student ID"] for r in rows}
            for r in rows:
                same = [o for o in rows if o["Student ID"] == r["Student ID"]]
                newest = max(dt.datetime.strptime(o["Completion Date"], "%m/%d/%Y") for o in same)
                done = dt.datetime.strptime(r["Completion Date"], "%m/%d/%Y")
                assert (r[header] == "Y") == (done == newest)
