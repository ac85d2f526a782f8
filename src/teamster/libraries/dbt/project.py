"""Where the dbt projects are, and preparing their manifests.

A manifest is prepared once (``teamster dbt prepare``, the demo, an image build), not
at every load. In ``local`` a code location prepares its own project when the
manifest is missing or older than the project's files, under a file lock so parallel
loads do not race; in ``prod`` a missing manifest is an error.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from dagster_dbt import DbtProject

import teamster

DBT_ROOT = Path(os.environ.get("TEAMSTER_DBT_ROOT", Path(teamster.__file__).parents[1] / "dbt"))
PROFILES_DIR = DBT_ROOT
_SOURCE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md"}


class DbtPrepareError(RuntimeError):
    pass


def project_dir(name: str) -> Path:
    path = DBT_ROOT / name
    if not (path / "dbt_project.yml").exists():
        raise DbtPrepareError(f"no dbt project {name!r} at {path}")
    return path


def dbt_project(name: str, target: str) -> DbtProject:
    return DbtProject(project_dir=project_dir(name), profiles_dir=PROFILES_DIR, target=target)


def _local_packages(path: Path) -> list[Path]:
    packages = path / "packages.yml"
    if not packages.exists():
        return []
    import yaml

    entries = yaml.safe_load(packages.read_text()).get("packages", [])
    return [(path / e["local"]).resolve() for e in entries if "local" in e]


def _newest_source(path: Path) -> float:
    newest = 0.0
    for root in [path, *_local_packages(path)]:
        for file in root.rglob("*"):
            parts = set(file.relative_to(root).parts)
            if parts & {"target", "dbt_packages", "logs"}:
                continue
            if file.suffix in _SOURCE_SUFFIXES and file.is_file():
                newest = max(newest, file.stat().st_mtime)
    return newest


def manifest_is_current(name: str) -> bool:
    path = project_dir(name)
    manifest = path / "target" / "manifest.json"
    return manifest.exists() and manifest.stat().st_mtime >= _newest_source(path)


def dbt_executable() -> str:
    return str(Path(sys.executable).parent / "dbt")


def run_dbt(
    args: list[str], cwd: Path, env: dict[str, str], name: str, profiles_dir: Path = PROFILES_DIR
) -> None:
    """One dbt command; a failure raises ``DbtPrepareError`` with the end of its output."""
    result = subprocess.run(
        [dbt_executable(), *args, "--profiles-dir", str(profiles_dir)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise DbtPrepareError(
            f"dbt {args[0]} failed for {name}:\n{result.stdout[-4000:]}{result.stderr[-4000:]}"
        )


def prepare(name: str, force: bool = False) -> Path:
    """Install local packages and parse; returns the manifest path."""
    path = project_dir(name)
    manifest = path / "target" / "manifest.json"
    (path / "target").mkdir(exist_ok=True)
    with open(path / "target" / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not force and manifest_is_current(name):
            return manifest
        env = {**os.environ, "TEAMSTER_DBT_TARGET": "local"}
        # parsing never opens the warehouse; any path gives the same manifest
        env.setdefault(
            "TEAMSTER_DUCKDB_PATH", str(Path(tempfile.gettempdir()) / "warehouse.duckdb")
        )
        steps = [["deps"]] if (path / "packages.yml").exists() else []
        steps.append(["parse"])
        for step in steps:
            run_dbt([*step, "--project-dir", str(path), "--quiet"], path, env, name)
        manifest.touch()
    return manifest


def ensure_manifest(name: str, environment: str) -> Path:
    """The manifest a code location loads: prepared on demand only in ``local``."""
    if environment == "local":
        return prepare(name)
    manifest = project_dir(name) / "target" / "manifest.json"
    if not manifest.exists():
        raise DbtPrepareError(f"{manifest} is missing: run `teamster dbt prepare` at build time")
    return manifest
