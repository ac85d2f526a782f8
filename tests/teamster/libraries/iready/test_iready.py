"""i-Ready results files: strict parsing, and the asset and sensor against the sandbox SFTP."""

import csv
import datetime as dt
import io
import os
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dagster import AssetKey, DagsterInstance, build_sensor_context

from sandbox.faults import corrupt_file
from teamster.core.locations import load_definitions
from teamster.core.settings import REGIONAL_LOCATIONS
from teamster.libraries.iready.files import COLUMNS, SCHEMA, IReadyFileError, read_results

INTERFACE = pa.schema(
    [
        ("student_id", pa.int64()),
        ("last_name", pa.string()),
        ("first_name", pa.string()),
        ("student_grade", pa.string()),
        ("school", pa.string()),
        ("academic_year", pa.string()),
        ("subject", pa.string()),
        ("start_date", pa.date32()),
        ("completion_date", pa.date32()),
        ("baseline_diagnostic", pa.string()),
        ("overall_scale_score", pa.int64()),
        ("overall_relative_placement", pa.string()),
        ("percentile", pa.int64()),
    ]
)
ROW = {
    "Student ID": "1001",
    "Last Name": "Rivera",
    "First Name": "Ana",
    "Student Grade": "K",
    "School": "KIPP SPARK Academy",
    "Academic Year": "2026-2027",
    "Subject": "Reading",
    "Start Date": "09/14/2026",
    "Completion Date": "09/15/2026",
    "Baseline Diagnostic (Y/N)": "Y",
    "Overall Scale Score": "362",
    "Overall Relative Placement": "Early On Grade Level",
    "Percentile": "48",
}


def _write(path: Path, rows: list[dict], header: list[str] | None = None) -> Path:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header or list(ROW), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue())
    return path


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


# --- the file reader ---------------------------------------------------------------------


def test_declared_schema_is_the_interface():
    assert SCHEMA == INTERFACE


def test_headers_become_columns_and_values_are_typed(tmp_path):
    """Extra vendor columns are dropped, a BOM and CRLF are fine, K stays a grade."""
    path = tmp_path / "r.csv"
    header = ["Extra", *ROW]
    _write(path, [{**ROW, "Extra": "x"}, {**ROW, "Student Grade": "8", "Percentile": ""}], header)
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    table = read_results(path, "ela", "r.csv")
    assert table.schema == INTERFACE
    first, second = table.to_pylist()
    assert first["student_id"] == 1001 and first["student_grade"] == "K"
    assert first["completion_date"] == dt.date(2026, 9, 15)
    assert first["baseline_diagnostic"] == "Y" and first["percentile"] == 48
    assert second["student_grade"] == "8" and second["percentile"] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"Completion Date": "2026-09-15"},
            "line 3, column 'Completion Date': '2026-09-15' is not",
        ),
        ({"Student Grade": "13"}, "line 3, column 'Student Grade': '13' is not a grade"),
        ({"Subject": "Math"}, "line 3, column 'Subject': 'Math' is not 'Reading'"),
        ({"Academic Year": "2026-2028"}, "line 3, column 'Academic Year'"),
        ({"Student ID": ""}, "line 3, column 'Student ID': is empty"),
        ({"Overall Scale Score": "3.5"}, "line 3, column 'Overall Scale Score': '3.5' is not"),
    ],
)
def test_a_bad_value_names_file_line_and_column(tmp_path, change, message):
    path = _write(tmp_path / "r.csv", [ROW, {**ROW, **change}, ROW])
    with pytest.raises(IReadyFileError, match="^r.csv, " + message.replace("(", r"\(")):
        read_results(path, "ela", "r.csv")


def test_missing_column_short_row_and_truncation_are_refused(tmp_path):
    header = [h for h in ROW if h != "Percentile"]
    path = _write(tmp_path / "a.csv", [{k: ROW[k] for k in header}], header)
    with pytest.raises(IReadyFileError, match="line 1: missing column\\(s\\) 'Percentile'"):
        read_results(path, "ela", "a.csv")

    path = _write(tmp_path / "b.csv", [ROW, ROW, ROW])
    text = path.read_bytes().decode()
    path.write_bytes(
        (text[: text.rindex("\r\n", 0, len(text) - 2) + 2] + "1001,Rivera,An").encode()
    )
    with pytest.raises(IReadyFileError, match=f"line 4: expected {len(COLUMNS)} fields, found 3"):
        read_results(path, "ela", "b.csv")

    path.write_bytes(text[:-3].encode())  # cut inside the last value: the row still has every field
    with pytest.raises(IReadyFileError, match="line 4, column 'Percentile': the file ends mid-row"):
        read_results(path, "ela", "b.csv")


# --- the asset against the sandbox --------------------------------------------------------


def test_every_region_lands_its_truth_and_a_rerun_replaces(sandbox, settings):
    for location in REGIONAL_LOCATIONS:
        truth = sandbox.truth()["iready_by_region"][location]
        for subject in ("ela", "math"):
            result = _materialize(location, subject)
            [m] = result.asset_materializations_for_node(f"{location}__iready__diagnostic_results")
            assert m.metadata["dagster/row_count"].value == truth[subject]
        table = f"{location}_iready.diagnostic_results"
        by_subject = f"select count(*) from {table} where subject = "
        assert _count(settings, by_subject + "'Reading'") == truth["ela"]
        assert _count(settings, by_subject + "'Math'") == truth["math"]
    # grades K..8 as text, and the year as the vendor writes it
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        grades = {
            r[0]
            for r in con.execute(
                "select distinct student_grade from kippnewark_iready.diagnostic_results"
            ).fetchall()
        }
        years = con.execute(
            "select distinct academic_year from kippnewark_iready.diagnostic_results"
        ).fetchall()
    assert "K" in grades and grades <= {"K", *map(str, range(1, 9))}
    assert len(years) == 1 and years[0][0][4] == "-"

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

    drop = (
        sandbox.root / "sftp" / "iready" / "kippcamden" / "exports" / "diagnostic_results_ela.csv"
    )
    original = drop.read_bytes()
    try:
        corrupt_file(drop, "malformed")  # the sandbox's fault: Student ID of line 3
        result = _materialize("kippcamden", "ela", raise_on_error=False)
    finally:
        drop.write_bytes(original)

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert "@127.0.0.1:" in message and "/exports/diagnostic_results_ela.csv" in message
    assert "line 3, column 'Student ID': 'not-a-number' is not an integer" in message
    assert _count(settings, f"select count(*) from {table}") == rows
    assert (landed / "data.parquet").read_bytes() == good
    assert [p.name for p in landed.iterdir()] == ["data.parquet"]  # no partial file


def test_sensor_requests_new_and_changed_files_only(sandbox, settings, tmp_path):
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

    drop = sandbox.root / "sftp" / "iready" / location / "exports" / "diagnostic_results_math.csv"
    stat = drop.stat()
    os.utime(drop, (stat.st_atime, stat.st_mtime + 3600))  # i-Ready rewrote the file
    try:
        [(subject, run_key)] = requested()
    finally:
        os.utime(drop, (stat.st_atime, stat.st_mtime))
    assert subject == "math" and run_key == f"math:{int(stat.st_mtime) + 3600}:{stat.st_size}"
