"""kipptaf is the one project dbt Cloud works with, so it must stand on its own.

dbt Cloud builds one project from its folder in the repository, with its own
connection and no teamster around it. kipptaf installs no package and reads the
regions only through sources, so a copy of `src/dbt/kipptaf` alone parses to the same
nodes; the regional projects install `../powerschool` and friends and could not.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson

from teamster.libraries.dbt.resources import DBT_ROOT, PROFILES_DIR, run_dbt

IGNORED = shutil.ignore_patterns("target", "logs", "dbt_packages")


def _nodes(manifest: dict[str, Any]) -> set[str]:
    return {*manifest["nodes"], *manifest["sources"], *manifest["exposures"]}


def test_kipptaf_parses_from_its_own_folder_alone(
    kipptaf_manifest: dict[str, Any], tmp_path: Path
) -> None:
    assert not (DBT_ROOT / "kipptaf" / "packages.yml").exists()
    alone = tmp_path / "kipptaf"
    shutil.copytree(DBT_ROOT / "kipptaf", alone, ignore=IGNORED)
    shutil.copy(PROFILES_DIR / "profiles.yml", tmp_path / "profiles.yml")
    env = {"PATH": "/usr/bin:/bin", "TEAMSTER_DUCKDB_PATH": str(tmp_path / "w.duckdb")}
    run_dbt(["parse", "--project-dir", str(alone)], alone, env, "kipptaf", profiles_dir=tmp_path)
    manifest = orjson.loads((alone / "target" / "manifest.json").read_bytes())
    assert _nodes(manifest) == _nodes(kipptaf_manifest)
