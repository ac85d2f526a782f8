"""Workbook assets, declared in config: workbook name -> the models it reads.

Each workbook's parents are resolved through kipptaf's canonical dbt group (the one
its ``dbt.yaml`` marks ``canonical: true``), whose manifest holds every model whatever
group builds it; a workbook naming a model that does not exist fails at load, naming
both.
"""

import re
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    AutomationCondition,
    MaterializeResult,
    multi_asset,
)
from dagster_dbt import get_asset_key_for_model
from pydantic import BaseModel, ConfigDict, field_validator

from teamster.core.config import load_config
from teamster.core.naming import check_luid, relation_for_key
from teamster.libraries.tableau.resources import Tableau


class Workbook(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    id: str  # the workbook's id (LUID) on Tableau Server
    models: list[str]
    owner: str | None = None

    @field_validator("id")
    @classmethod
    def _luid(cls, value: str) -> str:
        # it goes into a REST URL (prod) and a folder name (local): refused at load
        # unless it is a LUID; load_config names the file and the workbook's entry
        return check_luid(value, "workbook id")


class TableauConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    workbooks: list[Workbook]


def load_tableau_config(path: Path) -> TableauConfig:
    return load_config(path, TableauConfig)


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def workbook_key(location: str, workbook: Workbook) -> AssetKey:
    return AssetKey([location, "tableau_workbooks", _slug(workbook.name)])


def build_workbook_assets(
    location: str, config: TableauConfig, canonical_dbt: AssetsDefinition
) -> list[AssetsDefinition]:
    return [_workbook(location, w, canonical_dbt) for w in config.workbooks]


def _workbook(location: str, workbook: Workbook, dbt: AssetsDefinition) -> AssetsDefinition:
    deps = []
    for model in workbook.models:
        try:
            deps.append(get_asset_key_for_model([dbt], model))
        except KeyError:
            raise ValueError(
                f"Tableau workbook {workbook.name!r} reads model {model!r}, "
                "which the kipptaf dbt project does not have"
            ) from None
    relations = [relation_for_key(k) for k in deps]
    spec = AssetSpec(
        key=workbook_key(location, workbook),
        deps=deps,
        description=f"Tableau workbook {workbook.name!r}: refreshes its extracts.",
        group_name="tableau",
        kinds={"tableau"},
        owners=[workbook.owner] if workbook.owner else None,
        metadata={"workbook_id": workbook.id},
        # refresh once every model it reads has been rebuilt
        automation_condition=AutomationCondition.eager(),
    )

    @multi_asset(name=f"tableau_{_slug(workbook.name)}", specs=[spec])
    def refresh(context: AssetExecutionContext, tableau: Tableau) -> MaterializeResult:
        result = tableau.refresh(workbook.id, relations, name=workbook.name)
        return MaterializeResult(asset_key=spec.key, metadata=result)

    return refresh
