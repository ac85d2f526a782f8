"""SIS assets materialized by Dagster against the sandbox."""

import json
from pathlib import Path

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance

from teamster.core.locations import load_definitions

PATERSON_STUDENTS = AssetKey(["kipppaterson", "powerschool", "students"])


def _count(settings, table: str) -> int:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def _materialize(location: str, keys: list[AssetKey], **kwargs):
    job = load_definitions(location).resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        asset_selection=keys, instance=DagsterInstance.ephemeral(), **kwargs
    )


def test_sql_table_lands_and_loads(sandbox, settings):
    key = AssetKey(["kippmiami", "powerschool", "students"])
    result = _materialize("kippmiami", [key])
    truth = json.loads(sandbox.truth_path.read_text())
    expected = truth["students_total_by_region"]["kippmiami"]
    assert _count(settings, "kippmiami_powerschool.students") == expected
    landed = settings.landing.root / "kippmiami" / "powerschool" / "students" / "data.parquet"
    assert landed.exists()
    [materialization] = result.asset_materializations_for_node("kippmiami__powerschool__students")
    assert materialization.metadata["dagster/row_count"].value == expected
    # a rerun replaces, never appends
    _materialize("kippmiami", [key])
    assert _count(settings, "kippmiami_powerschool.students") == expected


def test_bad_paterson_drop_names_file_and_column_and_keeps_good_data(sandbox, settings):
    _materialize("kipppaterson", [PATERSON_STUDENTS])
    good_rows = _count(settings, "kipppaterson_powerschool.students")
    landed = settings.landing.root / "kipppaterson" / "powerschool" / "students" / "data.parquet"
    good_bytes = landed.read_bytes()

    drop = sandbox.root / "sftp" / "kipppaterson" / "exports" / "students.csv"
    original = drop.read_text()
    lines = original.splitlines()
    header = lines[0].split(",")
    at = header.index("STUDENTS.GRADE_LEVEL")  # PowerSchool's export: TABLE.FIELD
    bad = [",".join(v for i, v in enumerate(line.split(",")) if i != at) for line in lines]
    drop.write_text("\n".join(bad) + "\n")
    try:
        result = _materialize("kipppaterson", [PATERSON_STUDENTS], raise_on_error=False)
    finally:
        drop.write_text(original)

    assert not result.success
    [failure] = [e for e in result.all_events if e.is_step_failure]
    message = failure.step_failure_data.error.cause.message
    assert "/exports/students.csv" in message
    assert "missing column(s) 'grade_level'" in message
    assert _count(settings, "kipppaterson_powerschool.students") == good_rows
    assert landed.read_bytes() == good_bytes
    assert [p.name for p in landed.parent.iterdir()] == ["data.parquet"]  # no partial file


def test_secrets_stay_out_of_errors(sandbox, settings, tmp_path):
    from teamster.libraries.powerschool.sis.resources import PowerSchoolSIS, SISError, select_table
    from teamster.libraries.powerschool.sis.schema import arrow_schema

    sis_settings = settings.sis_databases["kippnewark"]
    password = Path(sis_settings.password_file).read_text().strip()
    wrong = tmp_path / "pw"
    wrong.write_text(password[::-1])
    sis = PowerSchoolSIS(settings=sis_settings.model_copy(update={"password_file": str(wrong)}))
    with pytest.raises(SISError) as info, sis.session() as session:
        list(session.stream(select_table("schools"), arrow_schema("schools")))
    assert password[::-1] not in str(info.value)
    assert "authentication failed" in str(info.value)
