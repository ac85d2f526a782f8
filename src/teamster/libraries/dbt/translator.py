"""One translator for all five code locations: keys follow ``teamster.core.naming``.

A model's key is its relation's (``kipptaf_extracts.rpt_x`` -> ``kipptaf/extracts/rpt_x``)
and a source's key is the key of the table it reads, so kipptaf's sources over the
regions' models, and the regions' sources over ingested tables, are the very assets
that write those tables in their own code locations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dagster import AssetKey, AutomationCondition
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from teamster.core.naming import key_for_relation
from teamster.core.regions import LOCATIONS


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
