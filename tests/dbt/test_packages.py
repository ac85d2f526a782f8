"""The shared packages deanslist and iready land in each region's own datasets.

A region installs them as local packages; their models must land beside the raw
tables they read (`<region>_deanslist`, `<region>_iready`), where kipptaf's sources
look for them, and read the raw tables of that same region.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

REGIONS = ["kippnewark", "kippcamden", "kippmiami", "kipppaterson"]
PACKAGES = {
    "deanslist": {"stg_deanslist__incidents", "stg_deanslist__behavior"},
    "iready": {"stg_iready__diagnostic_results"},
}


def misplaced(manifest: dict[str, Any], region: str, package: str) -> list[str]:
    """Models of ``package`` not in ``<region>_<package>``, or reading another dataset."""
    problems = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["package_name"] != package:
            continue
        if node["schema"] != f"{region}_{package}":
            problems.append(f"{node['name']} lands in {node['schema']}")
        for parent in node["depends_on"]["nodes"]:
            source = manifest["sources"].get(parent)
            if source and source["schema"] != f"{region}_{package}":
                problems.append(f"{node['name']} reads {source['schema']}.{source['name']}")
    return problems


@pytest.mark.parametrize("region", REGIONS)
def test_packages_land_in_the_regions_datasets(region: str) -> None:
    from teamster.libraries.dbt.resources import prepare

    manifest = json.loads(prepare(region).read_text())
    for package, expected in PACKAGES.items():
        names = {
            n["name"]
            for n in manifest["nodes"].values()
            if n["resource_type"] == "model" and n["package_name"] == package
        }
        assert names >= expected, f"{region} does not build {package}"
        assert misplaced(manifest, region, package) == []


def test_a_model_in_the_wrong_dataset_is_named() -> None:
    manifest = {
        "nodes": {
            "model.deanslist.stg_deanslist__incidents": {
                "resource_type": "model",
                "package_name": "deanslist",
                "name": "stg_deanslist__incidents",
                "schema": "kippnewark",
                "depends_on": {"nodes": ["source.deanslist.deanslist.incidents"]},
            }
        },
        "sources": {
            "source.deanslist.deanslist.incidents": {
                "schema": "kippcamden_deanslist",
                "name": "incidents",
            }
        },
    }
    assert misplaced(manifest, "kippnewark", "deanslist") == [
        "stg_deanslist__incidents lands in kippnewark",
        "stg_deanslist__incidents reads kippcamden_deanslist.incidents",
    ]
