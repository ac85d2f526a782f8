"""The five code locations as one network: loading them, and running all of them.

Production runs each location in its own process; locally the demo and the tests load
all five into one process and materialize every asset in dependency order, one run
per location at a time, crossing locations as the asset graph requires.
"""

from __future__ import annotations

import importlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial

from dagster import AssetKey, BackfillPolicy, DagsterInstance, Definitions, EventLogEntry

from teamster.core.regions import LOCATIONS

# the run tags that make one run cover a range of partitions
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


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


class Launcher:
    """Runs asset selections of the loaded locations in this process, one at a time.

    ``quiet`` keeps Dagster's console log to warnings and errors. For a progress display:
    ``on_run`` gets each run's location, systems (``run_systems``) and partition (or
    range) before it starts; ``on_event`` each event of the run (materializations, check
    evaluations, step failures) as Dagster stores it. Raises on a failed run.
    """

    def __init__(
        self,
        instance: DagsterInstance,
        quiet: bool = False,
        on_run: Callable[[str, list[str], str | None], None] | None = None,
        on_event: Callable[[str, EventLogEntry], None] | None = None,
    ) -> None:
        self.instance = instance
        self.on_run, self.on_event = on_run, on_event
        self.run_config = (
            {"loggers": {"console": {"config": {"log_level": "WARNING"}}}} if quiet else None
        )
        self._graphs: dict[str, object] = {}

    def graph(self, location: str, defs: Definitions):
        if location not in self._graphs:
            self._graphs[location] = defs.resolve_asset_graph()
        return self._graphs[location]

    def launch(
        self,
        location: str,
        defs: Definitions,
        keys: set[AssetKey],
        partition_key: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> str:
        """Run ``keys`` of ``location`` (one partition, or the range ``tags`` name)."""
        # a run id chosen here lets a listener see the run's events while it runs
        run_id = str(uuid.uuid4())
        if self.on_event:
            self.instance.add_event_listener(run_id, partial(self.on_event, location))
        if self.on_run:
            systems = run_systems(self.graph(location, defs), keys)
            self.on_run(location, systems, _partitions(partition_key, tags))
        defs.resolve_implicit_global_asset_job_def().execute_in_process(
            instance=self.instance,
            asset_selection=sorted(keys),
            partition_key=partition_key,
            tags=dict(tags) if tags else None,
            run_config=self.run_config,
            run_id=run_id,
        )
        return run_id


def materialize_all(
    instance: DagsterInstance,
    locations: tuple[str, ...] = LOCATIONS,
    on_stage: Callable[[str, int], None] | None = None,
    quiet: bool = False,
    only: set[AssetKey] | None = None,
    on_run: Callable[[str, list[str], str | None], None] | None = None,
    on_event: Callable[[str, EventLogEntry], None] | None = None,
) -> list[Stage]:
    """Materialize every asset (every partition) of ``locations``; raises on a failed run.

    ``only`` narrows the run to those keys and their ancestors in any of ``locations``.
    ``on_stage`` gets each stage's location and asset count; ``quiet``, ``on_run`` and
    ``on_event`` are ``Launcher``'s.
    """
    launcher = Launcher(instance, quiet=quiet, on_run=on_run, on_event=on_event)
    defs = {loc: load_definitions(loc) for loc in locations}
    graphs = {}
    for loc, d in defs.items():
        graph = launcher.graph(loc, d)
        graphs[loc] = {
            key: set(graph.get(key).parent_keys) for key in graph.materializable_asset_keys
        }
    if only is not None:
        parents = {key: deps for graph in graphs.values() for key, deps in graph.items()}
        wanted = _ancestors(only, parents)
        graphs = {loc: {k: v for k, v in g.items() if k in wanted} for loc, g in graphs.items()}
    stages = []
    for location, keys in plan_stages(graphs):
        if on_stage:
            on_stage(location, len(keys))
        graph = launcher.graph(location, defs[location])
        for kind, selection in phases(graph, graphs[location], keys):
            for partition_key, tags in _partition_runs(kind, instance):
                run_id = launcher.launch(location, defs[location], selection, partition_key, tags)
                stages.append(Stage(location, frozenset(selection), run_id))
    return stages


def run_systems(graph, keys: set[AssetKey]) -> list[str]:
    """What a run works on, for people: ``dbt`` for dbt models, else each asset's group
    (the system it reads or writes, e.g. ``powerschool_sis``); sources first."""
    found = {"dbt" if "dbt" in graph.get(k).kinds else graph.get(k).group_name for k in keys}
    return sorted(found, key=lambda name: (name == "dbt", name))


def _partitions(partition_key: str | None, tags: Mapping[str, str] | None) -> str | None:
    if partition_key is not None:
        return partition_key
    if tags and RANGE_START_TAG in tags:
        return f"{tags[RANGE_START_TAG]}..{tags[RANGE_END_TAG]}"
    return None


def _ancestors(keys: set[AssetKey], parents: Mapping[AssetKey, set[AssetKey]]) -> set[AssetKey]:
    found, todo = set(), list(keys)
    while todo:
        key = todo.pop()
        if key not in found and key in parents:
            found.add(key)
            todo.extend(parents[key])
    return found


def phases(graph, parents: Mapping[AssetKey, set[AssetKey]], keys: set[AssetKey]):
    """Split a stage into as few runs as partitioning allows: the largest set of assets
    run the same way (same partitions, same backfill policy) whose parents in the stage
    are done or in the set. Dagster orders the assets inside each run."""

    def how(key: AssetKey):
        node = graph.get(key)
        single = node.backfill_policy == BackfillPolicy.single_run()
        return (node.partitions_def, single and node.partitions_def is not None)

    def ready(kind, remaining: set[AssetKey]) -> set[AssetKey]:
        group = {k for k in remaining if how(k) == kind}
        shrinking = True
        while shrinking:
            blocked = {
                k for k in group if any(p in remaining and p not in group for p in parents[k])
            }
            group -= blocked
            shrinking = bool(blocked)
        return group

    def rank(item) -> tuple[bool, bool]:
        # partitioned roots (raw tables) first, so models and their tests that read
        # them all run in the one unpartitioned run that follows; then unpartitioned
        (kind, group) = item
        roots = not any(p in remaining for k in group for p in parents[k])
        return (not (roots and kind[0] is not None), kind[0] is not None)

    remaining = set(keys)
    while remaining:
        candidates = [(kind, ready(kind, remaining)) for kind in {how(k) for k in remaining}]
        candidates = sorted((c for c in candidates if c[1]), key=rank)
        if not candidates:
            raise RuntimeError("assets of one location depend on each other in a cycle")
        kind, group = candidates[0]
        yield kind, group
        remaining -= group


def _partition_runs(kind, instance: DagsterInstance) -> list[tuple[str | None, dict | None]]:
    """(partition key, tags) per run: none for unpartitioned assets; one ranged run over
    every partition for assets that backfill in a single run; else one run per key."""
    definition, single_run = kind
    if definition is None:
        return [(None, None)]
    partition_keys = definition.get_partition_keys(dynamic_partitions_store=instance)
    if single_run and len(partition_keys) > 1:
        return [(None, {RANGE_START_TAG: partition_keys[0], RANGE_END_TAG: partition_keys[-1]})]
    return [(key, None) for key in partition_keys]
