"""dbt exposures as Dagster asset specs downstream of the models they read.

An exposure's key is ``[location, exposure name]``: it is not a warehouse table, so
the naming rule's dataset form does not apply, and the location prefix keeps the
regions' same-named exposures (``powerschool_autocomm``) apart. A library that
implements the exposure (the AutoComm push) makes the spec executable; others stay
as specs so lineage still shows who reads a model.
"""

from __future__ import annotations

import json
from pathlib import Path

from dagster import AssetKey, AssetSpec

from teamster.libraries.dbt.translator import TRANSLATOR


def exposure_specs(manifest_path: Path, location: str) -> dict[str, AssetSpec]:
    """Every exposure of the manifest's own project, by exposure name."""
    manifest = json.loads(manifest_path.read_text())
    project = manifest["metadata"].get("project_name")
    specs = {}
    for exposure in manifest.get("exposures", {}).values():
        if exposure["package_name"] != project:
            continue
        deps = []
        for unique_id in exposure["depends_on"]["nodes"]:
            node = manifest["nodes"].get(unique_id) or manifest["sources"][unique_id]
            deps.append(TRANSLATOR.get_asset_key(node))
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
