"""Catching up with a day, in this process: what the daemon would launch, run here.

After the district moves on, production's daemon ticks the change sensors and the
schedules (each requests the loads its own code decides on), launches those runs, and
then each code location's automation sensor requests what is downstream of the new
data, tick after tick, until nothing is left. ``catch_up`` does the same in one
process, with the same sensor, schedule and automation-condition code: every change
sensor ticks once, every schedule ticks once at its first firing on ``day``, their run
requests run as they are, then automation conditions are evaluated location by location
(with Dagster's own evaluator and a cursor kept in the instance) and what they request
runs, until a pass over all locations requests nothing.

What the daemon does that this does not: deduplicating run keys against earlier runs
(each source ticks once here, so nothing repeats within a catch-up) and running
requests side by side (here they run one after another).
"""

from __future__ import annotations

import datetime as dt
import warnings
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass

from dagster import (
    AssetKey,
    AutomationConditionSensorDefinition,
    BetaWarning,
    DagsterInstance,
    Definitions,
    RunRequest,
    ScheduleDefinition,
    SensorDefinition,
    SensorResult,
    SkipReason,
    build_schedule_context,
    build_sensor_context,
    evaluate_automation_conditions,
)
from dagster._core.definitions.asset_daemon_cursor import AssetDaemonCursor
from dagster._serdes import deserialize_value, serialize_value
from dagster._utils.schedules import cron_string_iterator

from teamster.core.locations import Launcher, load_definitions, phases
from teamster.core.regions import LOCATIONS

# where the automation and sensor cursors live in the instance's key-value store
CURSOR_PREFIX = "teamster/catch_up"
MAX_PASSES = 10


@dataclass(frozen=True)
class Launched:
    """One run the catch-up made, and who asked for it."""

    location: str
    origin: str
    keys: frozenset[AssetKey]
    partition: str | None
    run_id: str


def _evaluate(defs: Definitions, instance: DagsterInstance, cursor=None):
    """Dagster's automation evaluator, as the daemon runs it (quiet about its beta
    parameter, which only the evaluator itself uses)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BetaWarning)
        return evaluate_automation_conditions(defs, instance, cursor=cursor)


def record_baseline(instance: DagsterInstance, locations: tuple[str, ...] = LOCATIONS) -> None:
    """Evaluate every location's automation conditions once and keep the cursors: the
    point later catch-ups measure "new data" from (call it after a full load)."""
    for location in locations:
        result = _evaluate(load_definitions(location), instance)
        _save_cursor(instance, _automation_key(location), serialize_value(result.cursor))


def catch_up(
    instance: DagsterInstance,
    day: dt.date,
    locations: tuple[str, ...] = LOCATIONS,
    launcher: Launcher | None = None,
) -> list[Launched]:
    """Tick every change sensor and every schedule firing on ``day``, run their requests,
    then run what automation conditions request until they request nothing."""
    launcher = launcher or Launcher(instance)
    defs = {loc: load_definitions(loc) for loc in locations}
    launched: list[Launched] = []
    for location, d in defs.items():
        for instigator, requests in _source_requests(instance, d, day):
            for request in requests:
                launched.append(_run_request(launcher, d, location, instigator, request))
    order = _location_order({loc: launcher.graph(loc, d) for loc, d in defs.items()})
    for _ in range(MAX_PASSES):
        quiet = True
        for location in order:
            requested = _automation_requests(instance, defs[location], location)
            if requested:
                quiet = False
                launched += _run_requested(launcher, defs[location], location, requested)
        if quiet:
            return launched
    raise RuntimeError(f"automation still requested runs after {MAX_PASSES} passes")


def _source_requests(instance: DagsterInstance, defs: Definitions, day: dt.date):
    """(sensor or schedule, run requests) of each change sensor and each schedule
    firing on ``day``."""
    for sensor in defs.sensors or ():
        if isinstance(sensor, AutomationConditionSensorDefinition):
            continue
        key = f"sensor/{sensor.name}"
        with build_sensor_context(
            instance=instance,
            definitions=defs,
            sensor_name=sensor.name,
            cursor=_load_cursor(instance, key),
            resources=_resources(defs, sensor.required_resource_keys),
        ) as context:
            # the sensor's own function: Dagster 1.13's evaluate_tick validates a request
            # for a dynamic partition the same result adds before that partition exists
            # outside the daemon, so the result is applied here as the daemon applies it
            result = sensor(context)
            cursor = context.cursor
        requests, added = _sensor_result(result)
        for request in added:
            instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
        if isinstance(result, SensorResult) and result.cursor is not None:
            cursor = result.cursor
        if cursor is not None:
            _save_cursor(instance, key, cursor)
        yield sensor, requests
    for schedule in defs.schedules or ():
        when = first_firing(schedule.cron_schedule, schedule.execution_timezone, day)
        if when is None:
            continue
        with build_schedule_context(
            instance=instance,
            scheduled_execution_time=when,
            repository_def=defs.get_repository_def(),
            resources=_resources(defs, schedule.required_resource_keys),
        ) as context:
            data = schedule.evaluate_tick(context)
        yield schedule, list(data.run_requests or ())


def _sensor_result(result) -> tuple[list[RunRequest], list]:
    """A sensor function's run requests and dynamic-partition additions, whichever of
    its return shapes (a SensorResult, requests, one request, a skip) it used."""
    if isinstance(result, SensorResult):
        return list(result.run_requests or ()), list(result.dynamic_partitions_requests or ())
    if isinstance(result, RunRequest):
        return [result], []
    if result is None or isinstance(result, SkipReason):
        return [], []
    return [r for r in result if isinstance(r, RunRequest)], []


def first_firing(cron: str | list[str], timezone: str | None, day: dt.date) -> dt.datetime | None:
    """When a schedule first fires on ``day`` in its own time zone; None if it does not."""
    zone = zoneinfo.ZoneInfo(timezone or "UTC")
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=zone)
    for cron_string in [cron] if isinstance(cron, str) else cron:
        when = next(cron_string_iterator(midnight.timestamp(), cron_string, timezone or "UTC"))
        if when.date() == day:
            return when
    return None


def _resources(defs: Definitions, keys) -> dict:
    return {key: defs.resources[key] for key in keys if defs.resources and key in defs.resources}


def _run_request(
    launcher: Launcher,
    defs: Definitions,
    location: str,
    instigator: SensorDefinition | ScheduleDefinition,
    request: RunRequest,
) -> Launched:
    if request.asset_selection is not None:
        keys = set(request.asset_selection)
    elif (selection := getattr(instigator, "asset_selection", None)) is not None:
        # a sensor that targets assets (schedules here all target a job)
        keys = set(selection.resolve(launcher.graph(location, defs)))
    else:  # a job's assets
        keys = set(defs.resolve_job_def(instigator.job_name).asset_layer.selected_asset_keys)
    kind = "schedule" if isinstance(instigator, ScheduleDefinition) else "sensor"
    tags = {**request.tags, f"dagster/{kind}_name": instigator.name}
    if request.run_key:
        tags["dagster/run_key"] = request.run_key
    run_id = launcher.launch(location, defs, keys, request.partition_key, tags)
    return Launched(location, instigator.name, frozenset(keys), request.partition_key, run_id)


def _location_order(graphs: Mapping[str, object]) -> list[str]:
    """Locations fed by fewer others first: the regions (whose only outside parents
    are kipptaf's extracts for the AutoComm push) before kipptaf (fed by every region),
    so one pass rebuilds kipptaf once, after the regions' models it reads."""
    owner = {key: loc for loc, g in graphs.items() for key in g.materializable_asset_keys}
    feeders = {
        location: {
            owner[parent]
            for key in graph.materializable_asset_keys
            for parent in graph.get(key).parent_keys
            if owner.get(parent, location) != location
        }
        for location, graph in graphs.items()
    }
    return sorted(graphs, key=lambda loc: len(feeders[loc]))


def _automation_requests(
    instance: DagsterInstance, defs: Definitions, location: str
) -> dict[AssetKey, set[str | None]]:
    """What one evaluation of ``location``'s automation conditions requests, by key."""
    key = _automation_key(location)
    saved = _load_cursor(instance, key)
    cursor = deserialize_value(saved, AssetDaemonCursor) if saved else None
    result = _evaluate(defs, instance, cursor)
    _save_cursor(instance, key, serialize_value(result.cursor))
    keys = [e.key for e in result.results if isinstance(e.key, AssetKey)]
    return {k: set(p) for k in keys if (p := result.get_requested_partitions(k))}


def _run_requested(
    launcher: Launcher,
    defs: Definitions,
    location: str,
    requested: Mapping[AssetKey, set[str | None]],
) -> list[Launched]:
    """Run what automation requested: parents first, one run per partition."""
    graph = launcher.graph(location, defs)
    parents = {k: set(graph.get(k).parent_keys) & set(requested) for k in requested}
    origin = f"{location}_automation"
    tags = {"dagster/sensor_name": origin, "dagster/from_automation_condition": "true"}
    launched = []
    for kind, group in phases(graph, parents, set(requested)):
        if kind[0] is None:
            runs = {None: group}
        else:
            runs = {}
            for key in group:
                for partition in requested[key]:
                    runs.setdefault(partition, set()).add(key)
        for partition, keys in sorted(runs.items(), key=lambda item: str(item[0])):
            run_id = launcher.launch(location, defs, keys, partition, tags)
            launched.append(Launched(location, origin, frozenset(keys), partition, run_id))
    return launched


def _automation_key(location: str) -> str:
    return f"{CURSOR_PREFIX}/automation/{location}"


def _load_cursor(instance: DagsterInstance, key: str) -> str | None:
    return instance.run_storage.get_cursor_values({key}).get(key)


def _save_cursor(instance: DagsterInstance, key: str, value: str) -> None:
    instance.run_storage.set_cursor_values({key: value})
