"""Asset builders for a code location's dbt project."""

import os
from pathlib import Path

from dagster import AssetExecutionContext, AssetsDefinition
from dagster_dbt import DbtCliResource, dbt_assets

from teamster.core.resources import WAREHOUSE_POOL
from teamster.core.settings import DuckDBSettings, Settings
from teamster.libraries.dbt.project import (
    PROFILES_DIR,
    dbt_executable,
    dbt_project,
    ensure_manifest,
)
from teamster.libraries.dbt.translator import TRANSLATOR


def dbt_resource(project_name: str, settings: Settings) -> DbtCliResource:
    """The dbt CLI for ``project_name`` on the environment's warehouse."""
    # dbt reads its profile's paths from the environment of each invocation
    os.environ["TEAMSTER_DBT_TARGET"] = settings.dbt_target
    # a run of some models also runs only tests whose every parent is built by then:
    # dbt's default (eager) would run a test naming a model not built yet, and fail
    os.environ.setdefault("DBT_INDIRECT_SELECTION", "buildable")
    if isinstance(settings.warehouse, DuckDBSettings):
        os.environ["TEAMSTER_DUCKDB_PATH"] = str(settings.warehouse.path)
    return DbtCliResource(
        project_dir=dbt_project(project_name, settings.dbt_target),
        profiles_dir=str(PROFILES_DIR),
        target=settings.dbt_target,
        dbt_executable=dbt_executable(),
    )


def project_manifest(project_name: str, settings: Settings) -> Path:
    """The manifest of ``project_name``; in ``local``, prepared for runs on the
    environment's DuckDB file (see ``prepare``)."""
    warehouse = settings.warehouse.path if isinstance(settings.warehouse, DuckDBSettings) else None
    return ensure_manifest(project_name, settings.environment, warehouse)


def build_dbt_assets(
    project_name: str,
    settings: Settings,
    name: str | None = None,
    select: str = "fqn:*",
    exclude: str | None = None,
) -> AssetsDefinition:
    manifest = project_manifest(project_name, settings)
    project = dbt_project(project_name, settings.dbt_target)

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=TRANSLATOR,
        name=name or f"{project_name}_dbt_assets",
        select=select,
        exclude=exclude,
        pool=WAREHOUSE_POOL,
    )
    def _assets(context: AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(["build"], context=context).stream()

    return _assets
