"""`teamster new-region` end to end: one command adds a region to a copy of this
checkout, and nothing else is edited by hand before the copy runs it.

The copy's six code locations load, its sandbox serves the new region on every system,
and the new region's students reach kipptaf's ``dim_students`` exactly as the sandbox
enrolled them. Also: a refused name changes nothing.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from support import REPO, free_port_base, make_data_dir
from teamster.cli import app

REGION = "kippnola"
SEED, SCALE = 7, 0.01  # ~25 students per region: enough to compare, cheap to build
# what a checkout holds that is not source: environments, builds, installed packages
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "target", "dbt_packages", "logs", "package-lock.yml", "__pycache__",
    ".teamster", "site", ".pytest_cache", ".ruff_cache",
)  # fmt: skip


def _copy(dest: Path) -> Path:
    shutil.copytree(REPO, dest, symlinks=True, ignore=NOT_SOURCE)
    return dest


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def _new_region(repo: Path, *args: str):
    return CliRunner().invoke(app, ["new-region", *args, "--repo", str(repo)])


@pytest.fixture(scope="module")
def scratch():
    """A private copy of this checkout with kippnola added by the command."""
    root = make_data_dir("teamster-new-region-")
    try:
        repo = _copy(root / "repo")
        result = _new_region(
            repo, REGION, "--city", "New Orleans", "--state", "LA", "--timezone", "America/Chicago"
        )
        assert result.exit_code == 0, result.output
        yield root, repo
    finally:
        shutil.rmtree(root, ignore_errors=True)
        if os.geteuid() == 0:  # the SIS clusters lived outside the data dir (docs/sandbox.md)
            from sandbox import postgres

            postgres.prune_orphans(postgres.cluster_base("nobody"))


def test_a_refused_region_changes_nothing(tmp_path):
    repo = _copy(tmp_path / "repo")
    before = _tree(repo)
    for args, message in [
        (["kippnewark"], "already a code location"),
        (["kipp-nola"], "lower-case letters"),
        (["kippnola", "--sis", "odbc"], "sql` or `sftp"),
        (["kippnola", "--timezone", "Mars/Olympus"], "not an IANA time zone"),
        (["kippnola", "--schools", "K-4,7-13"], "up to 12"),
        (["kippnewarker"], "payroll group would be NEW"),
    ]:
        result = _new_region(repo, *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in " ".join(result.output.split()), (args, result.output)
    assert _tree(repo) == before


def test_an_sftp_region_lists_only_exported_tables(tmp_path):
    from teamster.libraries.powerschool.sis.schema import declarations

    repo = _copy(tmp_path / "repo")
    args = ["kippatl", "--sis", "sftp", "--no-autocomm", "--schools", "K-8", "--city", "Atlanta"]
    assert _new_region(repo, *args).exit_code == 0
    package = repo / "src/teamster/code_locations/kippatl"
    config = yaml.safe_load((package / "config/powerschool.yaml").read_text())["sis"]
    assert [t["name"] for t in config["tables"]] == [
        name for name, table in declarations().items() if table.export is not None
    ]
    assert not (package / "config/autocomm.yaml").exists()
    project = yaml.safe_load((repo / "src/dbt/kippatl/dbt_project.yml").read_text())
    assert project["vars"]["powerschool_gradebook"] is False
    assert not (repo / "src/dbt/kippatl/models").exists()
    registry = yaml.safe_load((repo / "src/teamster/code_locations/locations.yaml").read_text())
    added = registry["regions"][-1]
    assert (added["sis"], added["autocomm"], added["city"]) == ("sftp", False, "Atlanta")
    assert added["schools"] == [
        {"number": 501, "name": "KIPP Atlanta Elementary", "abbreviation": "ATLE",
         "low_grade": 0, "high_grade": 8},
    ]  # fmt: skip


def test_the_new_region_runs_with_no_edits_by_hand(scratch):
    root, repo = scratch
    src = repo / "src"
    # what tools read as files agrees with the copy's registry
    check = "from pathlib import Path; from teamster.scaffold import drift; print(drift(Path('.')))"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMSTER_", "DAGSTER_HOME"))}
    env.update(
        PYTHONPATH=str(src),
        TEAMSTER_ENV="local",
        TEAMSTER_DATA_DIR=str(make_data_dir("teamster-new-region-data-")),
        TEAMSTER_SANDBOX_PORT_BASE=str(free_port_base(32)),
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    data_dir = Path(env["TEAMSTER_DATA_DIR"])
    try:
        done = subprocess.run(
            [sys.executable, "-c", check], cwd=repo, env=env, capture_output=True, text=True
        )
        assert done.returncode == 0 and done.stdout.strip() == "[]", done.stdout + done.stderr
        report_path = root / "report.json"
        child = Path(__file__).with_name("new_region_child.py")
        args = [sys.executable, str(child), REGION, str(SEED), str(SCALE), str(report_path)]
        done = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True)
        assert done.returncode == 0, (done.stdout + done.stderr)[-8000:]
        report = json.loads(report_path.read_text())
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    # the copy's package, with all six code locations, each defining assets
    assert report["teamster"].startswith(str(src))
    assert report["locations"][-1] == REGION and len(report["locations"]) == 6
    assert all(report["assets"].values()), report["assets"]
    # kipptaf's ADP crosswalk knows the region as the sandbox's ADP pays it
    assert report["adp_mismatches"] == []
    # the region's SIS, DeansList, i-Ready and dbt models ran, and landed rows
    materialized = set(report["materialized"])
    assert set(report["region_assets"]) <= materialized
    for system in ("powerschool/students", "deanslist/", "iready/", "stg_powerschool__students"):
        assert any(a.startswith(f"{REGION}/") and system in a for a in materialized), system
    tables = report["warehouse_tables"]
    assert tables[f"{REGION}_powerschool.students"] > 0
    assert any(t.startswith(f"{REGION}_deanslist.") and n > 0 for t, n in tables.items())
    assert any(t.startswith(f"{REGION}_iready.") and n > 0 for t, n in tables.items())
    # its enrolled students, per school and grade, are the sandbox's
    truth = report["truth"]
    assert truth["students_by_region"][REGION] > 0
    assert report["dim_students"] == truth["students_by_school_grade"]
