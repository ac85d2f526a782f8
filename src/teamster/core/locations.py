"""The five code locations as one network: loading them, and running all of them.

Production runs each location in its own process; locally the demo and the tests load
all five into one process and materialize every asset in dependency order, one run
per location at a time, crossing locations as the asset graph requires.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from dagster import AssetKey, DagsterInstance, Definitions

from teamster.core.settings import LOCATIONS


def load_definitions(location: str) -> Definitions:
    module = importlib.import_module(f"teamster.code_locations.{location}.definitions")
    return module.defs


@dataclass(frozen=True)
class Stage:
    location: str
    keys: frozenset[AssetKey]
    run_id: str


def plan_stages(
    graphs: Mapping[str, Mapping[AssetKey, set[AssetKey]]],
) -> list[tuple[str, set[AssetKey]]]:
    """Order runs so every asset runs after all of its parents in any location.

    ``graphs`` maps a location to its materializable keys and their parents. Each stage
    is the largest set of one location's remaining assets whose parents elsewhere are
    all done; parents nobody materializes (external tables) are ignored.
    """
    owner = {key: loc for loc, graph in graphs.items() for key in graph}
    parents = {key: deps for graph in graphs.values() for key, deps in graph.items()}
    done: set[AssetKey] = set()
    stages = []
    while len(done) < len(owner):
        progressed = False
        for location, graph in graphs.items():
            ready = {key for key in graph if key not in done}
            shrinking = True
            while shrinking:
                blocked = {
                    key
                    for key in ready
                    if any(p in owner and p not in done and p not in ready for p in parents[key])
                }
                ready -= blocked
                shrinking = bool(blocked)
            if ready:
                stages.append((location, ready))
                done |= ready
                progressed = True
        if not progressed:
            waiting = sorted(k.to_user_string() for k in owner if k not in done)
            raise RuntimeError(f"asset graph has a cycle across locations among {waiting[:10]}")
    return stages


def materialize_all(
    instance: DagsterInstance,
    locations: tuple[str, ...] = LOCATIONS,
    on_stage: Callable[[str, int], None] | None = None,
    quiet: bool = False,
) -> list[Stage]:
    """Materialize every asset (every partition) of ``locations``; raises on a failed run.

    ``quiet`` keeps Dagster's console log to warnings and errors.
    """
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}} if quiet else None
    defs = {loc: load_definitions(loc) for loc in locations}
    graphs, resolved = {}, {}
    for loc, d in defs.items():
        resolved[loc] = graph = d.resolve_asset_graph()
        graphs[loc] = {
            key: set(graph.get(key).parent_keys) for key in graph.materializable_asset_keys
        }
    stages = []
    for location, keys in plan_stages(graphs):
        if on_stage:
            on_stage(location, len(keys))
        job = defs[location].resolve_implicit_global_asset_job_def()
        remaining = set(keys)
        while remaining:  # parents inside the stage first, level by level
            ready = {k for k in remaining if not graphs[location][k] & remaining}
            for partition_key, selection in _runs(resolved[location], ready, instance):
                result = job.execute_in_process(
                    instance=instance,
                    asset_selection=sorted(selection),
                    partition_key=partition_key,
                    run_config=run_config,
                )
                stages.append(Stage(location, frozenset(selection), result.run_id))
            remaining -= ready
    return stages


def _runs(
    graph, keys: set[AssetKey], instance: DagsterInstance
) -> list[tuple[str | None, set[AssetKey]]]:
    """Assets that do not depend on each other: the unpartitioned ones in one run, then
    one run per partition key of each partitioning (dynamic partitions as of now)."""
    plain = {k for k in keys if graph.get(k).partitions_def is None}
    runs: list[tuple[str | None, set[AssetKey]]] = [(None, plain)] if plain else []
    by_definition: dict[object, set[AssetKey]] = {}
    for key in keys - plain:
        by_definition.setdefault(graph.get(key).partitions_def, set()).add(key)
    for definition, selection in by_definition.items():
        for partition_key in definition.get_partition_keys(dynamic_partitions_store=instance):
            runs.append((partition_key, selection))
    return runs
