"""The dbt asset definitions: every ``@dbt_assets`` of teamster is built here, so all
share one translator (keys, groups, automation), the warehouse pool and the way dbt is
run. A region's project is one group; kipptaf's is split into the groups its
``config/dbt.yaml`` declares (``config.py``). The AutoComm push reads its dbt exposures
through ``exposure_specs``.

One translator for all five code locations: keys follow ``teamster.core.naming``.

A model's key is its relation's (``kipptaf_extracts.rpt_x`` -> ``kipptaf/extracts/rpt_x``)
and a source's key is the key of the table it reads, so kipptaf's sources over the
regions' models, and the regions' sources over ingested tables, are the very assets
that write those tables in their own code locations.
"""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    AutomationCondition,
    BackfillPolicy,
    DynamicPartitionsDefinition,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from teamster.core.naming import key_for_relation
from teamster.core.regions import LOCATIONS
from teamster.core.resources import WAREHOUSE_POOL
from teamster.core.settings import Settings
from teamster.libraries.dbt.config import DbtGroup, DbtGroups
from teamster.libraries.dbt.resources import (
    dbt_project,
    project_manifest,
)


class TeamsterDbtTranslator(DagsterDbtTranslator):
    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        props = dbt_resource_props
        if props["resource_type"] == "source":
            table = props.get("identifier") or props["name"]
        else:
            table = props.get("alias") or props["name"]
        return key_for_relation(props["schema"], table)

    def get_automation_condition(
        self, dbt_resource_props: Mapping[str, Any]
    ) -> AutomationCondition | None:
        # a model rebuilds once its parents have new data, across code locations too
        return _EAGER

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        # a shared package's nodes are grouped by package (powerschool, deanslist,
        # iready); a location's own by its top folder (kipptaf_marts, kipptaf_extracts,
        # kippnewark_extracts, ...)
        package = dbt_resource_props.get("package_name")
        fqn = dbt_resource_props.get("fqn") or []
        if package in LOCATIONS and len(fqn) > 2:
            return f"{package}_{fqn[1]}"
        return package


_EAGER = AutomationCondition.eager()
TRANSLATOR = TeamsterDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def build_dbt_assets(
    project_name: str,
    settings: Settings,
    name: str | None = None,
    select: str = "fqn:*",
    exclude: str | None = None,
) -> AssetsDefinition:
    """The nodes of ``project_name`` that ``select`` picks, less ``exclude``, as one
    ungrouped ``@dbt_assets`` (a region's whole project by default), built like every
    group of a project split in YAML (``teamster.libraries.dbt.config``)."""
    group = DbtGroup(name=name or f"{project_name}_dbt_assets", select=select, exclude=exclude)
    manifest = project_manifest(project_name, settings)
    return build_group(group, manifest, dbt_project(project_name, settings.dbt_target))


def canonical_assets(config: DbtGroups, assets: list[AssetsDefinition]) -> AssetsDefinition:
    """Of ``assets`` (as ``build_group_assets`` made them), the canonical group's."""
    return next(a for a in assets if a.node_def.name == config.canonical.name)


def build_group_assets(config: DbtGroups, settings: Settings) -> list[AssetsDefinition]:
    manifest = project_manifest(config.project, settings)
    project = dbt_project(config.project, settings.dbt_target)
    return [build_group(group, manifest, project) for group in config.groups]


def build_group(group: DbtGroup, manifest: Path, project: DbtProject) -> AssetsDefinition:
    """One group's ``@dbt_assets``: every dbt asset definition of teamster is built
    here, so all share the translator, the warehouse pool and the way dbt is run."""
    partitions = DynamicPartitionsDefinition(name=group.partitions) if group.partitions else None
    if (group.partitions is None) != (group.partition_var is None):
        raise ValueError(f"dbt group {group.name}: set both partitions and partition_var")

    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=TRANSLATOR,
        name=group.name,
        select=group.select,
        exclude=group.exclude or "",
        op_tags=group.op_tags(),
        retry_policy=group.retry.policy() if group.retry else None,
        partitions_def=partitions,
        backfill_policy=BackfillPolicy.single_run() if partitions else None,
        pool=WAREHOUSE_POOL,
    )
    def _assets(context: AssetExecutionContext, dbt: DbtCliResource):
        args = ["build"]
        if group.partition_var:
            keys = context.partition_keys
            # one partition: dbt replaces just its rows; a backfill of several runs once
            # without the variable, which rebuilds every partition
            if len(keys) == 1:
                args += ["--vars", json.dumps({group.partition_var: keys[0]})]
        yield from dbt.cli(args, context=context).stream()

    return _assets


def exposure_specs(dbt_assets: AssetsDefinition, location: str) -> dict[str, AssetSpec]:
    """Every exposure of the project ``dbt_assets`` was built from, by exposure name.

    The manifest and translator are the ones the ``@dbt_assets`` already holds (read
    back as dagster-dbt's own ``get_asset_key_for_model`` does), so a large manifest is
    not parsed a second time and keys match the dbt assets'.
    """
    manifest, translator, _ = get_manifest_and_translator_from_dbt_assets([dbt_assets])
    project = manifest["metadata"].get("project_name")
    specs = {}
    for exposure in manifest.get("exposures", {}).values():
        if exposure["package_name"] != project:
            continue
        deps = []
        for unique_id in exposure["depends_on"]["nodes"]:
            node = manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]
            deps.append(translator.get_asset_key(node))
        owner = exposure.get("owner") or {}
        specs[exposure["name"]] = AssetSpec(
            key=AssetKey([location, exposure["name"]]),
            deps=deps,
            description=exposure.get("description") or None,
            group_name="exposures",
            kinds={exposure["type"]},
            owners=[owner["email"]] if owner.get("email") else None,
            metadata={"dbt_exposure": exposure["unique_id"]},
        )
    return specs
