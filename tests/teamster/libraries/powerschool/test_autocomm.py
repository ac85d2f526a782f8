"""The AutoComm push: file format, and atomic delivery to the sandbox's inbox."""

import datetime as dt
import json

import duckdb
import pyarrow as pa
import pytest
from dagster import AssetKey, AssetSpec, materialize

from teamster.core.warehouse import DuckDBWarehouse
from teamster.libraries.powerschool.autocomm.assets import (
    AutoCommConfig,
    AutoCommFile,
    build_autocomm_asset,
)
from teamster.libraries.powerschool.autocomm.resources import AutoCommInbox
from teamster.libraries.powerschool.autocomm.schema import AutoCommRenderError, render

MODEL = "rpt_powerschool__autocomm_students"


def test_render_writes_powerschool_import_format(tmp_path):
    table = pa.table(
        {
            "student_number": [1001, 1002],
            "entry_date": [dt.date(2026, 8, 31), None],
            "is_active": [True, False],
            "name": ["Ana", "Bo"],
        }
    )
    path = tmp_path / "students.txt"
    assert render(table, path, "students.txt") == 2
    assert path.read_text() == (
        "student_number\tentry_date\tis_active\tname\n1001\t08/31/2026\t1\tAna\n1002\t\t0\tBo\n"
    )


def test_render_refuses_a_value_that_would_shift_fields(tmp_path):
    table = pa.table({"student_number": [1, 2, 3], "name": ["Ana", "Bo\tX", "Cy"]})
    with pytest.raises(AutoCommRenderError, match=r"students.txt, line 3, column 'name'"):
        render(table, tmp_path / "students.txt", "students.txt")


def _warehouse(tmp_path, names: list[str]) -> DuckDBWarehouse:
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema kippnewark_extracts")
        con.execute(
            f"create table kippnewark_extracts.{MODEL} as "
            "select * from (values (1001, 'kippnewark'), (1002, 'kippnewark')) "
            "as t(student_number, code_location)"
        )
        con.execute(
            "create table kippnewark_extracts.rpt_powerschool__autocomm_teachers as "
            "select * from (values (?, 'kippnewark')) as t(teacher_name, code_location)",
            [names[0]],
        )
    return DuckDBWarehouse(path=str(path))


def _asset():
    spec = AssetSpec(
        AssetKey(["kippnewark", "powerschool_autocomm"]),
        deps=[
            AssetKey(["kippnewark", "extracts", MODEL]),
            AssetKey(["kippnewark", "extracts", "rpt_powerschool__autocomm_teachers"]),
        ],
    )
    config = AutoCommConfig(
        exposure="powerschool_autocomm",
        files=[
            AutoCommFile(model=MODEL, file="students.txt"),
            AutoCommFile(model="rpt_powerschool__autocomm_teachers", file="teachers.txt"),
        ],
    )
    return build_autocomm_asset("kippnewark", config, {"powerschool_autocomm": spec})


def _received(sandbox) -> list[dict]:
    log = sandbox.root / "autocomm" / "kippnewark.jsonl"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_push_renders_every_file_then_renames_each_into_place(sandbox, settings, tmp_path):
    before = len(_received(sandbox))
    result = materialize(
        [_asset()],
        resources={
            "warehouse": _warehouse(tmp_path, ["Ms. Rivera"]),
            "powerschool_autocomm": AutoCommInbox(settings=settings.autocomm["kippnewark"]),
        },
    )
    assert result.success
    inbox = sandbox.root / "sftp" / "autocomm" / "kippnewark"
    # the region column is kipptaf's, not part of the file PowerSchool imports
    assert (inbox / "students.txt").read_text() == "student_number\n1001\n1002\n"
    assert (inbox / "teachers.txt").read_text() == "teacher_name\nMs. Rivera\n"
    assert not [p for p in inbox.iterdir() if p.name.startswith(".")]
    events = _received(sandbox)[before:]
    renamed = {e["path"].rsplit("/", 1)[-1] for e in events if e["event"] == "rename"}
    assert {"students.txt", "teachers.txt"} <= renamed


def test_a_bad_value_pushes_nothing(sandbox, settings, tmp_path):
    before = len(_received(sandbox))
    result = materialize(
        [_asset()],
        resources={
            "warehouse": _warehouse(tmp_path, ["Ms.\nRivera"]),
            "powerschool_autocomm": AutoCommInbox(settings=settings.autocomm["kippnewark"]),
        },
        raise_on_error=False,
    )
    assert not result.success
    assert _received(sandbox)[before:] == []


def test_config_naming_a_model_outside_the_exposure_fails_at_load():
    spec = AssetSpec(
        AssetKey(["kippnewark", "powerschool_autocomm"]),
        deps=[AssetKey(["kippnewark", "extracts", MODEL])],
    )
    config = AutoCommConfig(
        exposure="powerschool_autocomm",
        files=[AutoCommFile(model="rpt_powerschool__autocomm_nope", file="x.txt")],
    )
    with pytest.raises(ValueError, match="rpt_powerschool__autocomm_nope"):
        build_autocomm_asset("kippnewark", config, {"powerschool_autocomm": spec})
