"""dbt as a resource: where the projects are, preparing their manifests, and the dbt
command every dbt asset runs (``DbtCli``, with the environment's profile variables).

A manifest is prepared once (``teamster dbt prepare``, the demo, an image build), not
at every load. In ``local`` a code location prepares its own project when the
manifest is missing or older than the project's files, under a file lock so parallel
loads do not race; in ``prod`` a missing manifest is an error.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliInvocation, DbtCliResource, DbtProject
from dagster_shared.utils import environ
from packaging.version import Version
from pydantic import Field

import teamster
from teamster.core.private import private_umask
from teamster.core.settings import DuckDBSettings, Settings

DBT_ROOT = Path(os.environ.get("TEAMSTER_DBT_ROOT", Path(teamster.__file__).parents[1] / "dbt"))
PROFILES_DIR = DBT_ROOT
PARTIAL_PARSE = "partial_parse.msgpack"
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


def prepare(name: str, force: bool = False, warehouse: Path | None = None) -> Path:
    """Install local packages and parse; returns the manifest path.

    dbt reuses a parse only for the profile it was made with, and the local profile
    names the DuckDB file; every run on another file parses the whole project again
    (8 s of a regional build's 13). Given the ``warehouse`` runs will use, the project's
    partial-parse state is made for it (the manifest itself does not depend on it), so
    dagster-dbt's runs start from that state instead of parsing from scratch.
    """
    path = project_dir(name)
    target = path / "target"
    manifest = target / "manifest.json"
    stamp = target / ".partial-parse-for"
    target.mkdir(exist_ok=True)
    with open(target / ".prepare.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        env = {**os.environ, "TEAMSTER_DBT_TARGET": "local"}
        if warehouse is not None:
            env["TEAMSTER_DUCKDB_PATH"] = str(warehouse)
        # parsing never opens the warehouse; any path gives the same manifest
        env.setdefault(
            "TEAMSTER_DUCKDB_PATH", str(Path(tempfile.gettempdir()) / "warehouse.duckdb")
        )
        parsed_for = stamp.read_text() if stamp.exists() else None
        # dbt's parse state also records the --target given (runs pass it: see
        # dbt_resource), so the parse passes the same
        parse = ["parse", "--target", "local"]
        if force or not manifest_is_current(name):
            steps = [["deps"]] if (path / "packages.yml").exists() else []
            steps.append(parse)
            for step in steps:
                run_dbt([*step, "--project-dir", str(path), "--quiet"], path, env, name)
            manifest.touch()
        elif warehouse is not None and parsed_for != env["TEAMSTER_DUCKDB_PATH"]:
            # the manifest stays as it is (code locations may be reading it); only the
            # partial-parse state is replaced, whole, for the new profile
            with tempfile.TemporaryDirectory(dir=target, prefix=".parse-") as scratch:
                args = [*parse, "--project-dir", str(path), "--target-path", scratch, "--quiet"]
                run_dbt(args, path, env, name)
                os.replace(Path(scratch) / PARTIAL_PARSE, target / PARTIAL_PARSE)
        else:
            return manifest
        stamp.write_text(env["TEAMSTER_DUCKDB_PATH"])
    return manifest


def ensure_manifest(name: str, environment: str, warehouse: Path | None = None) -> Path:
    """The manifest a code location loads: prepared on demand only in ``local`` (for
    runs on the DuckDB file ``warehouse``, see ``prepare``)."""
    if environment == "local":
        return prepare(name, warehouse=warehouse)
    manifest = project_dir(name) / "target" / "manifest.json"
    if not manifest.exists():
        raise DbtPrepareError(f"{manifest} is missing: run `teamster dbt prepare` at build time")
    return manifest


def project_manifest(project_name: str, settings: Settings) -> Path:
    """The manifest of ``project_name``; in ``local``, prepared for runs on the
    environment's DuckDB file (see ``prepare``)."""
    warehouse = settings.warehouse.path if isinstance(settings.warehouse, DuckDBSettings) else None
    return ensure_manifest(project_name, settings.environment, warehouse)


class DbtCli(DbtCliResource):
    """dagster-dbt's dbt resource, without two fixed costs it pays at every run for
    features teamster does not use (profiled at about 8.5 s of an 11 s AutoComm run,
    bench/demo_speed.py):

    - learning dbt's version by running ``dbt --version`` (4.2 s, dbt's start-up): the
      executable is this environment's own (``dbt_executable``), so its version is the
      installed dbt-core's;
    - loading the project and its macros in this process for an adapter handle (4.3 s),
      which dagster-dbt needs only to fetch row counts and column metadata, neither of
      which teamster asks for (without a handle they are skipped, as dagster-dbt
      does for the Fusion engine).

    It also carries the variables dbt's profile reads (``env``) to each dbt it starts,
    so that loading definitions leaves the process's environment as it found it.
    """

    env: dict[str, str] = Field(
        default={}, description="Variables set for each dbt command, over the process's own."
    )

    def cli(self, args: Sequence[str], **kwargs: Any) -> DbtCliInvocation:
        """dagster-dbt's ``cli``, with ``env`` in the dbt process's environment.

        dagster-dbt (0.29) builds that environment from ``os.environ`` inside this call
        and takes no variables of its own, so ``env`` is in ``os.environ`` only while
        the call starts dbt (as dagster-dbt's maintainers advise), then restored. dbt
        starts with no group or other bits in its umask: it writes the warehouse (student
        records), whatever process (``dagster dev`` or a run worker) starts it.
        """
        with environ(self.env), private_umask():
            return super().cli(args, **kwargs)

    @cached_property
    def _cli_version(self) -> Version:
        return Version(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ARG002 - dagster-dbt's signature
        return None


def dbt_environment(settings: Settings) -> dict[str, str]:
    """What each dbt command of a code location needs in its environment.

    The profile picks its target and, in ``local``, the DuckDB file from these; dbt's
    partial-parse state also depends on them, so they match what ``prepare`` parses with.
    """
    env = {
        "TEAMSTER_DBT_TARGET": settings.dbt_target,
        # a run of some models also runs only tests whose every parent is built by then:
        # dbt's default (eager) would run a test naming a model not built yet, and fail;
        # a value set for the process wins
        "DBT_INDIRECT_SELECTION": os.environ.get("DBT_INDIRECT_SELECTION", "buildable"),
        # dbt unit tests check the models' logic on fixtures, in CI
        # (tests/dbt/test_unit_tests.py); `dbt build` would otherwise run every unit test
        # of the models it builds at each materialization, in prod on BigQuery too
        "DBT_EXCLUDE_RESOURCE_TYPES": "unit_test",
    }
    if isinstance(settings.warehouse, DuckDBSettings):
        env["TEAMSTER_DUCKDB_PATH"] = str(settings.warehouse.path)
    return env


def dbt_resource(project_name: str, settings: Settings) -> DbtCliResource:
    """The dbt CLI for ``project_name`` on the environment's warehouse."""
    return DbtCli(
        project_dir=dbt_project(project_name, settings.dbt_target),
        profiles_dir=str(PROFILES_DIR),
        target=settings.dbt_target,
        dbt_executable=dbt_executable(),
        env=dbt_environment(settings),
    )
