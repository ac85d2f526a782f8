"""The AutoComm push: file format, and atomic delivery to the sandbox's inbox."""

import datetime as dt
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import yaml
from dagster import AssetKey, AssetSpec, materialize

from teamster.core.settings import SettingsError
from teamster.core.warehouse import DuckDBWarehouse
from teamster.libraries.powerschool.autocomm.assets import (
    AutoCommConfig,
    AutoCommFile,
    build_autocomm_asset,
    load_autocomm_config,
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


def _warehouse(
    tmp_path: Path, names: list[str], students: tuple[int, ...] = (1001, 1002)
) -> DuckDBWarehouse:
    """A warehouse holding the two wrapper models: ``students`` and teachers ``names``
    (either may be empty)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema kippnewark_extracts")
        for table, column, values in (
            (MODEL, "student_number integer", students),
            ("rpt_powerschool__autocomm_teachers", "teacher_name varchar", names),
        ):
            con.execute(
                f"create table kippnewark_extracts.{table} ({column}, code_location varchar)"
            )
            con.execute(  # one statement for all rows: thousands of inserts take seconds
                f"insert into kippnewark_extracts.{table} select unnest(?), 'kippnewark'",
                [list(values)],
            )
    return DuckDBWarehouse(path=str(path))


def _asset(teachers_may_be_empty: bool = False):
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
            AutoCommFile(
                model="rpt_powerschool__autocomm_teachers",
                file="teachers.txt",
                allow_empty=teachers_may_be_empty,
            ),
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


def _push(settings, warehouse: DuckDBWarehouse, asset=None):
    return materialize(
        [asset or _asset()],
        resources={
            "warehouse": warehouse,
            "powerschool_autocomm": AutoCommInbox(settings=settings.autocomm["kippnewark"]),
        },
        raise_on_error=False,
    )


def _inbox(sandbox) -> dict[str, bytes]:
    """Every file in Newark's inbox, dot-files (staged uploads) included."""
    inbox = sandbox.root / "sftp" / "autocomm" / "kippnewark"
    return {p.name: p.read_bytes() for p in sorted(inbox.iterdir())}


def _failure(result) -> str:
    [failure] = [e for e in result.all_events if e.is_step_failure]
    return failure.step_failure_data.error.cause.message


def test_a_push_cut_during_the_second_upload_leaves_the_previous_set(sandbox, settings, tmp_path):
    """Every file is staged before any is put in place: a connection lost while the
    second file uploads leaves PowerSchool the previous night's files, every one of them,
    and no staged temp file."""
    assert _push(settings, _warehouse(tmp_path / "1", ["Ms. Rivera"])).success
    last_night = _inbox(sandbox)
    tonight = _warehouse(tmp_path / "2", [f"Teacher {n:05d}" for n in range(4000)], (1, 2, 3))
    students = len("student_number\n1\n2\n3\n")
    teachers = len("teacher_name\n") + 4000 * len("Teacher 00000\n")
    # one cut, in the middle of the teachers file (the second upload)
    sandbox.faults.drop_after_bytes("sftp", students + teachers // 2, times=1)
    try:
        result = _push(settings, tonight)
        cut = "sftp" not in sandbox.faults.read().get("drop_after_bytes", {})
    finally:
        sandbox.faults.drop_after_bytes("sftp", None)
    assert cut  # the fault fired (the failure is the one injected)
    assert not result.success
    message = _failure(result)
    assert "teachers.txt" in message and "nothing was replaced" in message, message
    assert _inbox(sandbox) == last_night  # the same names, the same bytes: no temp file


def test_an_empty_extract_fails_naming_file_and_model_and_pushes_nothing(
    sandbox, settings, tmp_path
):
    before = len(_received(sandbox))
    result = _push(settings, _warehouse(tmp_path, []))
    assert not result.success
    message = _failure(result)
    assert (
        "AutoCommEmptyError: teachers.txt (from rpt_powerschool__autocomm_teachers): "
        "no data rows" in message
    ), message
    assert "allow_empty: true" in message
    assert _received(sandbox)[before:] == []


def test_a_file_allowed_to_be_empty_is_pushed_with_its_header_only(sandbox, settings, tmp_path):
    result = _push(settings, _warehouse(tmp_path, []), _asset(teachers_may_be_empty=True))
    assert result.success
    assert _inbox(sandbox)["teachers.txt"] == b"teacher_name\n"


def _config_file(tmp_path: Path, files: list[dict]) -> Path:
    path = tmp_path / "autocomm.yaml"
    path.write_text(yaml.safe_dump({"exposure": "powerschool_autocomm", "files": files}))
    return path


@pytest.mark.parametrize(
    "name",
    [
        "../students.txt",
        "/etc/passwd",
        "sub/students.txt",
        "sub\\students.txt",
        "it's.txt",
        '"students".txt',
        "students\n.txt",
        "students\x00.txt",
        "students\t.txt",
        ".students.txt",
        "..",
        "",
    ],
)
def test_a_file_name_that_is_not_a_plain_name_is_refused_at_load(tmp_path, name):
    path = _config_file(tmp_path, [{"model": MODEL, "file": name}])
    with pytest.raises(SettingsError) as refused:
        load_autocomm_config(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: invalid config") and repr(name) in message, message


def test_two_entries_writing_one_file_are_refused_at_load(tmp_path):
    path = _config_file(
        tmp_path,
        [
            {"model": MODEL, "file": "students.txt"},
            {"model": "rpt_powerschool__autocomm_teachers", "file": "students.txt"},
        ],
    )
    with pytest.raises(SettingsError, match=r"'students\.txt' is written by more than one"):
        load_autocomm_config(path)


def test_every_region_config_loads_and_no_file_may_be_empty():
    """The shipped configs pass the checks; no region's file is allowed to be empty (each
    holds every current student or teacher, never none)."""
    root = Path(__file__).parents[4] / "src" / "teamster" / "code_locations"
    configs = sorted(root.glob("*/config/autocomm.yaml"))
    assert configs
    for path in configs:
        config = load_autocomm_config(path)
        assert not any(f.allow_empty for f in config.files), path
