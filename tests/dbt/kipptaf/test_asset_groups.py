"""kipptaf's four dbt asset groups, evaluated on the manifest.

Each model must fall in exactly one group; models may read only groups that never
read them back (core and google_sheet depending on each other both ways is what made
Dagster split the asset job into many ops, design §7); and no test may tie a core
model to a google_sheet model or a model to a source (such tests became no asset
check at all, or a CircularDependencyError, in the four-group layout).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from dagster_dbt.utils import select_unique_ids

import teamster
from teamster.libraries.dbt.config import load_groups

CONFIG = Path(teamster.__file__).parent / "code_locations" / "kipptaf" / "config" / "dbt.yaml"
# the groups dbt.yaml must declare, written out so that changing one is deliberate:
# name -> (select, exclude, CPU)
EXPECTED_GROUPS = {
    "core_dbt_assets": ("fqn:*", "source:adp_payroll+ tag:google_sheet extracts", "2000m"),
    "reporting_dbt_assets": ("extracts", "source:adp_payroll+", "1750m"),
    "google_sheet_dbt_assets": ("tag:google_sheet", "", None),
    "adp_payroll_dbt_assets": ("source:adp_payroll+", "", None),
}
# name -> (select, exclude) as the code location builds them
GROUPS: dict[str, tuple[str, str]] = {
    g.name.removesuffix("_dbt_assets"): (g.select, g.exclude or "")
    for g in load_groups(CONFIG).groups
}
NODE_TYPES = ("model", "seed")
# the groups a group's models may read (besides sources)
MAY_READ: dict[str, set[str]] = {
    "core": {"core"},
    "reporting": {"core", "reporting"},
    "google_sheet": {"core", "google_sheet"},
    "adp_payroll": {"core", "adp_payroll"},
}

Manifest = dict[str, Any]


def group_members(manifest: Manifest) -> dict[str, set[str]]:
    """The unique ids of the models each group selects."""
    members = {}
    for group, (select, exclude) in GROUPS.items():
        selected = select_unique_ids(select, exclude, "", None, manifest)
        members[group] = {
            uid
            for uid in selected
            if manifest["nodes"].get(uid, {}).get("resource_type") in NODE_TYPES
        }
    return members


def group_of(manifest: Manifest) -> dict[str, str]:
    """Each model's single group; fails naming every model in none or several."""
    members = group_members(manifest)
    wrong = {}
    found = {}
    for uid, node in manifest["nodes"].items():
        if node["resource_type"] not in NODE_TYPES:
            continue
        groups = sorted(g for g, ids in members.items() if uid in ids)
        if len(groups) == 1:
            found[uid] = groups[0]
        else:
            wrong[node["name"]] = groups
    if wrong:
        raise AssertionError(f"models not in exactly one asset group: {wrong}")
    return found


def crossings(manifest: Manifest, groups: dict[str, str]) -> list[str]:
    """Model-to-model reads that go against MAY_READ."""
    nodes = manifest["nodes"]
    return [
        f"{nodes[uid]['name']} ({group}) reads {nodes[parent]['name']} ({groups[parent]})"
        for uid, group in groups.items()
        for parent in nodes[uid]["depends_on"]["nodes"]
        if parent in groups and groups[parent] not in MAY_READ[group]
    ]


def bad_tests(manifest: Manifest, groups: dict[str, str]) -> list[str]:
    """Tests on a core model that involve a google_sheet model, and tests that involve
    both a source and a model."""
    problems = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        parents = node["depends_on"]["nodes"]
        parent_groups = {groups[p] for p in parents if p in groups}
        if "core" in parent_groups and "google_sheet" in parent_groups:
            problems.append(f"{node['name']} ties a core model to a google_sheet model")
        if any(p.startswith("source.") for p in parents) and any(p in groups for p in parents):
            problems.append(f"{node['name']} ties a model to a source")
    return problems


def test_the_location_builds_the_expected_groups() -> None:
    config = {g.name: (g.select, g.exclude or "", g.cpu) for g in load_groups(CONFIG).groups}
    assert config == EXPECTED_GROUPS


def test_every_model_is_in_exactly_one_group(kipptaf_manifest: Manifest) -> None:
    groups = group_of(kipptaf_manifest)
    assert set(groups.values()) == set(GROUPS), "every group has models"


def test_groups_hold_the_models_they_are_for(kipptaf_manifest: Manifest) -> None:
    by_name = {
        kipptaf_manifest["nodes"][uid]["name"]: g for uid, g in group_of(kipptaf_manifest).items()
    }
    expected = {
        "stg_adp_payroll__general_ledger": "adp_payroll",
        "fct_payroll_by_location": "adp_payroll",
        "stg_google_sheets__network_goals": "google_sheet",
        "stg_google_sheets__school_leaders": "google_sheet",
        "fct_school_goals": "google_sheet",
        "rpt_tableau__attendance": "reporting",
        "rpt_tableau__assessments": "reporting",
        "rpt_tableau__enrollment": "reporting",
        "dim_staff": "core",
        "fct_iready_diagnostics": "core",
        "fct_behavior_incidents": "core",
        "int_reporting__student_filters": "core",
    }
    assert {name: by_name.get(name) for name in expected} == expected


def test_groups_read_only_in_one_direction(kipptaf_manifest: Manifest) -> None:
    assert crossings(kipptaf_manifest, group_of(kipptaf_manifest)) == []


def test_no_test_spans_core_and_google_sheet_or_a_source(kipptaf_manifest: Manifest) -> None:
    assert bad_tests(kipptaf_manifest, group_of(kipptaf_manifest)) == []


def _node(uid: str, kind: str, parents: list[str], **extra: Any) -> dict[str, Any]:
    name = uid.split(".")[-1]
    return {
        "unique_id": uid,
        "name": name,
        "resource_type": kind,
        "package_name": "kipptaf",
        "fqn": ["kipptaf", *extra.pop("dirs", []), name],
        "tags": extra.pop("tags", []),
        "depends_on": {"nodes": parents, "macros": []},
        "config": {"enabled": True, "tags": []},
        "original_file_path": f"models/{name}.sql",
        "path": f"{name}.sql",
        **extra,
    }


def _manifest(nodes: list[dict[str, Any]], sources: list[str]) -> Manifest:
    child_map: dict[str, list[str]] = {n["unique_id"]: [] for n in nodes}
    child_map.update({s: [] for s in sources})
    for n in nodes:
        for p in n["depends_on"]["nodes"]:
            child_map[p].append(n["unique_id"])
    parent_map = {n["unique_id"]: n["depends_on"]["nodes"] for n in nodes}
    return {
        "metadata": {"dbt_version": "1.11.0"},
        "nodes": {n["unique_id"]: n for n in nodes},
        "sources": {
            s: {
                "unique_id": s,
                "resource_type": "source",
                "package_name": "kipptaf",
                "source_name": s.split(".")[2],
                "name": s.split(".")[3],
                "fqn": ["kipptaf", s.split(".")[2], s.split(".")[3]],
                "tags": [],
                "config": {"enabled": True},
            }
            for s in sources
        },
        "metrics": {},
        "exposures": {},
        "child_map": child_map,
        "parent_map": parent_map,
    }


@pytest.fixture(scope="module")
def broken() -> Manifest:
    """A core model reading a google_sheet model and a payroll model, a test tying a core
    model to a google_sheet model, and a test tying a model to a source."""
    sheet_src = "source.kipptaf.google_sheets.goals"
    pay_src = "source.kipptaf.adp_payroll.general_ledger"
    nodes = [
        _node("model.kipptaf.stg_goals", "model", [sheet_src], tags=["google_sheet"]),
        _node("model.kipptaf.stg_gl", "model", [pay_src]),
        _node("model.kipptaf.dim_core", "model", ["model.kipptaf.stg_goals"]),
        _node("model.kipptaf.dim_other", "model", []),
        _node(
            "test.kipptaf.rel_core_goals",
            "test",
            ["model.kipptaf.dim_other", "model.kipptaf.stg_goals"],
        ),
        _node("test.kipptaf.rel_core_source", "test", ["model.kipptaf.dim_other", sheet_src]),
    ]
    return _manifest(nodes, [sheet_src, pay_src])


def test_the_checks_name_what_is_wrong(broken: Manifest) -> None:
    groups = group_of(broken)
    assert groups["model.kipptaf.stg_gl"] == "adp_payroll"
    assert crossings(broken, groups) == ["dim_core (core) reads stg_goals (google_sheet)"]
    assert bad_tests(broken, groups) == [
        "rel_core_goals ties a core model to a google_sheet model",
        "rel_core_source ties a model to a source",
    ]


def test_a_model_in_two_groups_is_named(broken: Manifest) -> None:
    broken = {**broken, "nodes": dict(broken["nodes"])}
    # tagged google_sheet but built on payroll: both google_sheet and adp_payroll select it
    broken["nodes"]["model.kipptaf.stg_gl"] = {
        **broken["nodes"]["model.kipptaf.stg_gl"],
        "tags": ["google_sheet"],
    }
    with pytest.raises(AssertionError, match="stg_gl.*adp_payroll.*google_sheet"):
        group_of(broken)
