"""The five code locations load, validate, and link into one asset graph."""

import os
import subprocess
import sys
from pathlib import Path

from dagster import AssetKey

from teamster.core.locations import load_definitions
from teamster.core.regions import LOCATIONS

ROOT = Path(__file__).parents[3]


def test_dagster_definitions_validate_each_location(settings, tmp_path):
    env = {**os.environ, "DAGSTER_HOME": str(tmp_path)}
    dagster = Path(sys.executable).parent / "dagster"
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    for location in LOCATIONS:
        assert f"Validation successful for code location {location}." in output


def _graphs():
    graphs = {}
    for location in LOCATIONS:
        graph = load_definitions(location).resolve_asset_graph()
        graphs[location] = graph
    return graphs


def test_every_upstream_table_is_materialized_by_some_location(settings):
    graphs = _graphs()
    owned = {key: loc for loc, g in graphs.items() for key in g.materializable_asset_keys}
    for location, graph in graphs.items():
        for key in graph.materializable_asset_keys:
            for parent in graph.get(key).parent_keys:
                assert parent in owned, (
                    f"{location}: {key.to_user_string()} reads "
                    f"{parent.to_user_string()}, which no location writes"
                )


def test_lineage_crosses_locations_from_sis_table_to_kipptaf_and_back(settings):
    graphs = _graphs()
    parents = {}
    for graph in graphs.values():
        for key in graph.materializable_asset_keys:
            parents.setdefault(key, set()).update(graph.get(key).parent_keys)

    def ancestors(key):
        seen, todo = set(), [key]
        while todo:
            for parent in parents.get(todo.pop(), ()):
                if parent not in seen:
                    seen.add(parent)
                    todo.append(parent)
        return seen

    upstream = ancestors(AssetKey(["kipptaf", "dim_students"]))
    for region in ("kippnewark", "kippcamden", "kippmiami", "kipppaterson"):
        assert AssetKey([region, "powerschool", "students"]) in upstream
        assert AssetKey([region, "powerschool", "stg_powerschool__students"]) in upstream

    # one connected graph from a region's SIS table to that region's AutoComm push,
    # through kipptaf's shared extract and the region's wrapper
    for region in ("kippnewark", "kippcamden", "kippmiami"):
        push = ancestors(AssetKey([region, "powerschool_autocomm"]))
        assert {
            AssetKey([region, "powerschool", "students"]),
            AssetKey(["kipptaf", "int_powerschool__students"]),
            AssetKey(["kipptaf", "extracts", "rpt_powerschool__autocomm_students"]),
            AssetKey([region, "extracts", "rpt_powerschool__autocomm_students"]),
        } <= push
    workbook = ancestors(AssetKey(["kipptaf", "tableau_workbooks", "attendance_dashboard"]))
    assert AssetKey(["kipptaf", "tableau", "rpt_tableau__attendance"]) in workbook
    assert AssetKey(["kippmiami", "powerschool", "attendance"]) in workbook


def test_production_code_never_imports_the_sandbox(settings):
    code = (
        "import sys, pkgutil, importlib, teamster\n"
        "for m in pkgutil.walk_packages(teamster.__path__, 'teamster.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n == 'sandbox' or n.startswith('sandbox.'))\n"
        "assert not bad, bad\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env=os.environ.copy(),
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
