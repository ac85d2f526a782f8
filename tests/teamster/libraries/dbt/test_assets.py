"""A region's dbt assets and resource: what they select, what reaches each dbt command,
and what loading leaves behind."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dagster import AssetKey
from dagster_dbt.core import resource as dagster_dbt_resource

from teamster.core.resources import WAREHOUSE_POOL
from teamster.core.settings import DuckDBSettings, Settings
from teamster.libraries.dbt.assets import build_dbt_assets
from teamster.libraries.dbt.resources import dbt_resource

ROOT = Path(__file__).parents[4]

# every code location's definitions, loaded in a fresh interpreter so that nothing an
# earlier test imported hides what the load does to the environment
_LOAD_ALL = """
import json, os
before = dict(os.environ)
from teamster.core.locations import load_definitions
from teamster.core.regions import LOCATIONS
for location in LOCATIONS:
    load_definitions(location)
after = dict(os.environ)
print(json.dumps(sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))))
"""


def test_loading_definitions_leaves_the_environment_alone(settings: Settings) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TEAMSTER_DBT", "DBT_"))}
    env.pop("TEAMSTER_DUCKDB_PATH", None)
    result = subprocess.run(
        [sys.executable, "-c", _LOAD_ALL],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_each_dbt_command_gets_the_profile_variables(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, Any] = {}

    def run(**kwargs: Any) -> None:
        seen.update(kwargs)

    monkeypatch.setattr(dagster_dbt_resource.DbtCliInvocation, "run", run)
    monkeypatch.delenv("TEAMSTER_DBT_TARGET", raising=False)
    monkeypatch.delenv("TEAMSTER_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("DBT_INDIRECT_SELECTION", raising=False)
    monkeypatch.delenv("DBT_EXCLUDE_RESOURCE_TYPES", raising=False)
    before = dict(os.environ)

    dbt = dbt_resource("kippnewark", settings)
    dbt.cli(["parse"])

    assert isinstance(settings.warehouse, DuckDBSettings)
    assert seen["env"]["TEAMSTER_DBT_TARGET"] == "local"
    assert seen["env"]["TEAMSTER_DUCKDB_PATH"] == str(settings.warehouse.path)
    assert seen["env"]["DBT_INDIRECT_SELECTION"] == "buildable"
    assert seen["env"]["DBT_EXCLUDE_RESOURCE_TYPES"] == "unit_test"
    assert [seen["args"][i] for i in (-2, -1)] == ["--target", "local"]
    assert dict(os.environ) == before


def test_indirect_selection_set_for_the_process_wins(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")
    dbt = dbt_resource("kippnewark", settings)
    assert dbt.env["DBT_INDIRECT_SELECTION"] == "cautious"


STUDENTS = AssetKey(["kippnewark", "powerschool", "stg_powerschool__students"])


def test_a_region_builds_its_whole_project_as_one_group(settings: Settings) -> None:
    assets = build_dbt_assets("kippnewark", settings)
    assert assets.node_def.name == "kippnewark_dbt_assets"
    assert STUDENTS in assets.keys
    # the same builder as kipptaf's groups: the warehouse pool, no retries or partitions
    assert assets.op.pool == WAREHOUSE_POOL
    assert assets.op.retry_policy is None
    assert assets.partitions_def is None


def test_select_and_exclude_are_honoured(settings: Settings) -> None:
    whole = build_dbt_assets("kippnewark", settings).keys
    only = build_dbt_assets("kippnewark", settings, name="only", select="stg_powerschool__students")
    assert only.node_def.name == "only"
    assert only.keys == {STUDENTS}
    rest = build_dbt_assets("kippnewark", settings, exclude="stg_powerschool__students")
    assert rest.keys == whole - {STUDENTS}
