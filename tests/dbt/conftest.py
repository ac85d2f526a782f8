"""dbt fixtures that need no warehouse: prepared manifests and one shared compile.

Compiling renders every model's SQL (refs, sources, cross-database macros) without
running it or opening the warehouse (``--no-populate-cache``; the profile's DuckDB path
points into a temporary directory anyway). Everything is written under that directory,
never into the projects' target/.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from support import make_data_dir

PROJECTS = ["kipptaf", "kippnewark", "kippcamden", "kippmiami", "kipppaterson"]

Manifest = dict[str, Any]


@pytest.fixture(scope="session")
def kipptaf_manifest() -> Manifest:
    """kipptaf's manifest as code locations load it (`teamster dbt prepare`)."""
    from teamster.libraries.dbt.project import prepare

    return json.loads(prepare("kipptaf").read_text())


def _compile(name: str, work: Path) -> Manifest:
    from teamster.libraries.dbt.project import prepare, project_dir, run_dbt

    prepare(name)  # installs the local packages the compile needs
    target = work / name / "target"
    env = {
        **os.environ,
        "TEAMSTER_DBT_TARGET": "local",
        "TEAMSTER_DUCKDB_PATH": str(work / name / "warehouse.duckdb"),
    }
    run_dbt(
        [
            "compile",
            "--project-dir",
            str(project_dir(name)),
            "--target-path",
            str(target),
            "--log-path",
            str(work / name / "logs"),
            "--quiet",
            # render only: no warehouse connection, so compiles can run side by side
            "--no-populate-cache",
        ],
        work,
        env,
        name,
    )
    return json.loads((target / "manifest.json").read_text())


@pytest.fixture(scope="session")
def compiled_manifests() -> Iterator[dict[str, Manifest]]:
    """Every project compiled once per session (two at a time), by project name."""
    work = make_data_dir("teamster-dbt-compile-")
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            manifests = dict(
                zip(PROJECTS, pool.map(lambda p: _compile(p, work), PROJECTS), strict=True)
            )
        yield manifests
    finally:
        shutil.rmtree(work, ignore_errors=True)
