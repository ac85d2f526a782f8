"""The child of tests/teamster/test_new_region.py, run with a scaffolded copy's ``src``
first on PYTHONPATH: loads every code location there, serves a small district, builds
the new region and kipptaf's students, and prints one JSON report on its last line.

A separate process because the registry, settings and dbt paths are read once per
process, from the checkout the package is imported from.
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

DIM_STUDENTS = ["kipptaf", "dim_students"]


def main(region: str, seed: int, scale: float) -> dict:
    import duckdb
    from dagster import AssetKey, DagsterInstance

    import teamster
    from sandbox.district import Sandbox
    from teamster.core.locations import load_definitions, materialize_all
    from teamster.core.regions import LOCATIONS, NETWORK
    from teamster.core.settings import current
    from teamster.core.settings.local import sandbox_ports
    from teamster.libraries.dbt.resources import prepare

    settings = current()
    report: dict = {"teamster": teamster.__file__, "locations": list(LOCATIONS)}
    report["adp_mismatches"] = adp_mismatches(region, seed, scale)
    # two manifests at a time, for the warehouse the runs use (as the demo does)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda p: prepare(p, warehouse=settings.warehouse.path), LOCATIONS))
    defs = {loc: load_definitions(loc) for loc in LOCATIONS}
    graphs = {loc: d.resolve_asset_graph() for loc, d in defs.items()}
    report["assets"] = {loc: len(g.materializable_asset_keys) for loc, g in graphs.items()}
    # the region's own assets; those that wait for kipptaf (its AutoComm extracts and
    # push) are left out: dim_students does not need them
    graph = graphs[region]
    waits: dict = {}

    def waits_for_network(key) -> bool:
        if key not in waits:
            waits[key] = key.path[0] == NETWORK or (
                graph.has(key) and any(waits_for_network(p) for p in graph.get(key).parent_keys)
            )
        return waits[key]

    own = {k for k in graph.materializable_asset_keys if not waits_for_network(k)}
    report["region_assets"] = sorted(k.to_user_string() for k in own)
    box = Sandbox(settings.data_dir, sandbox_ports(settings.sandbox_port_base))
    truth = box.generate(seed=seed, scale=scale)
    with box, DagsterInstance.ephemeral() as instance:
        stages = materialize_all(instance, quiet=True, only={AssetKey(DIM_STUDENTS), *own})
    report["runs"] = len(stages)
    report["materialized"] = sorted({k.to_user_string() for s in stages for k in s.keys})
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        rows = con.execute(
            "select cast(school_number as varchar), cast(grade_level as varchar), count(*) "
            "from kipptaf.dim_students where code_location = ? group by 1, 2",
            [region],
        ).fetchall()
        tables = con.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables() "
            "where schema_name like ? order by 1, 2",
            [f"{region}_%"],
        ).fetchall()
    by_school_grade: dict[str, dict[str, int]] = {}
    for school, grade, count in rows:
        by_school_grade.setdefault(school, {})[grade] = count
    report["dim_students"] = by_school_grade
    report["warehouse_tables"] = {f"{s}.{t}": n for s, t, n in tables}
    report["truth"] = {
        "students_by_region": truth["students_by_region"],
        "students_by_school_grade": truth["students_by_school_grade"][region],
        "deanslist_by_region": truth["deanslist_by_region"].get(region),
        "iready_by_region": truth["iready_by_region"].get(region),
    }
    return report


def adp_mismatches(region: str, seed: int, scale: float) -> list[str]:
    """Where kipptaf's ADP crosswalk misses what the sandbox's ADP says of the region:
    its payroll group, and each school's ADP location."""
    import yaml

    import teamster
    from sandbox.generator import World
    from sandbox.vendors import adp

    config = Path(teamster.__file__).parent / "code_locations/kipptaf/config/adp.yaml"
    crosswalk = yaml.safe_load(config.read_text())["adp"]
    world = World(seed, scale)
    found = []
    group = adp.payroll_group(region)
    if crosswalk["payroll_groups"].get(group) != region:
        found.append(f"payroll group {group}")
    for school in world.real_schools(world.regions[region]):
        site = adp.sites(world)[school["school_number"]]
        entry = crosswalk["locations"].get(site.location, {})
        if site.department is None and entry.get("school_number") != site.school_number:
            found.append(f"location {site.location} of school {site.school_number}")
    return found


if __name__ == "__main__":
    region, seed, scale = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    report = main(region, seed, scale)
    Path(sys.argv[4]).write_text(json.dumps(report))
    print(json.dumps({"report": sys.argv[4]}))
