"""kipptaf is the one project dbt Cloud works with, so it must stand on its own.

dbt Cloud builds one project from its folder in the repository, with its own
connection and no teamster around it. kipptaf installs no package and reads the
regions only through sources, so a copy of `src/dbt/kipptaf` alone parses to the same
nodes; the regional projects install `../powerschool` and friends and could not.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import orjson

from teamster.libraries.dbt.project import DBT_ROOT, PROFILES_DIR, dbt_executable

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
    result = subprocess.run(
        [dbt_executable(), "parse", "--project-dir", str(alone), "--profiles-dir", str(tmp_path)],
        cwd=alone,
        env={"PATH": "/usr/bin:/bin", "TEAMSTER_DUCKDB_PATH": str(tmp_path / "w.duckdb")},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    manifest = orjson.loads((alone / "target" / "manifest.json").read_bytes())
    assert _nodes(manifest) == _nodes(kipptaf_manifest)
