"""dbt exposures as Dagster asset specs downstream of the models they read.

An exposure's key is ``[location, exposure name]``: it is not a warehouse table, so
the naming rule's dataset form does not apply, and the location prefix keeps the
regions' same-named exposures (``powerschool_autocomm``) apart. A library that
implements the exposure (the AutoComm push) makes the spec executable; others stay
as specs so lineage still shows who reads a model.
"""

from __future__ import annotations

from dagster import AssetKey, AssetsDefinition, AssetSpec
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets


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
