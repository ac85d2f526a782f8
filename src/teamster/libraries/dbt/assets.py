"""Asset builders for a code location's dbt project."""

import importlib.metadata
import os
from collections.abc import Sequence
from functools import cached_property
from typing import Any

from dagster import AssetsDefinition
from dagster_dbt import DbtCliInvocation, DbtCliResource
from dagster_shared.utils import environ
from packaging.version import Version
from pydantic import Field

from teamster.core.settings import DuckDBSettings, Settings
from teamster.libraries.dbt.groups import DbtGroup, build_group
from teamster.libraries.dbt.project import (
    PROFILES_DIR,
    dbt_executable,
    dbt_project,
    project_manifest,
)


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
        the call starts dbt (as dagster-dbt's maintainers advise), then restored.
        """
        with environ(self.env):
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


def build_dbt_assets(
    project_name: str,
    settings: Settings,
    name: str | None = None,
    select: str = "fqn:*",
    exclude: str | None = None,
) -> AssetsDefinition:
    """The nodes of ``project_name`` that ``select`` picks, less ``exclude``, as one
    ungrouped ``@dbt_assets`` (a region's whole project by default), built like every
    group of a project split in YAML (``teamster.libraries.dbt.groups``)."""
    group = DbtGroup(name=name or f"{project_name}_dbt_assets", select=select, exclude=exclude)
    manifest = project_manifest(project_name, settings)
    return build_group(group, manifest, dbt_project(project_name, settings.dbt_target))
