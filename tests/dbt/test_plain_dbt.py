"""Plain dbt, as a dbt user runs it: `cd src/dbt/<project> && dbt parse`."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from teamster.libraries.dbt.resources import DBT_ROOT

PROJECTS = ["kipptaf", "kippnewark", "kippcamden", "kippmiami", "kipppaterson"]
REPO = DBT_ROOT.parents[1]


@pytest.mark.parametrize("project", PROJECTS)
def test_each_project_folder_finds_the_shared_profile(project):
    link = DBT_ROOT / project / "profiles.yml"
    assert link.is_symlink() and link.resolve() == (DBT_ROOT / "profiles.yml").resolve()


def test_the_default_warehouse_is_the_default_data_dirs():
    profiles = (DBT_ROOT / "profiles.yml").read_text()
    [default] = re.findall(r"env_var\('TEAMSTER_DUCKDB_PATH', '([^']+)'\)", profiles)
    for project in PROJECTS:  # dbt resolves a relative path from the project folder
        assert (DBT_ROOT / project / default).resolve() == REPO / ".teamster" / "warehouse.duckdb"


def test_dbt_parse_runs_in_a_project_folder_with_no_settings(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMSTER_", "DBT_"))}
    dbt = str(Path(sys.executable).parent / "dbt")
    for command in (["deps"], ["parse", "--target-path", str(tmp_path)]):
        done = subprocess.run(
            [dbt, *command], cwd=DBT_ROOT / "kippnewark", env=env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert (tmp_path / "manifest.json").exists()
