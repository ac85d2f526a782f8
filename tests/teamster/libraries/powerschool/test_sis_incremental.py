"""Incremental loads: after `advance`, the change sensor asks for exactly what changed."""

import datetime as dt

import duckdb
from dagster import AssetKey, DagsterInstance, DagsterRunStatus

from sandbox.generator import World
from support import REPO, sis_requests
from teamster.core.locations import load_definitions
from teamster.core.partitions import Partition
from teamster.core.regions import REGISTRY
from teamster.libraries.powerschool.sis.config import load_sis_config

LOCATION = "kippnewark"
CONFIG = load_sis_config(
    REPO / f"src/teamster/code_locations/{LOCATION}/config/powerschool.yaml",
    REGISTRY.region(LOCATION),
)
PROBED = {t.name: t for t in CONFIG.tables if t.cursor is not None}


def _inside(rows: list[dict], window: Partition) -> list[dict]:
    """The rows a partition holds, by the window's own rule (the first one is open)."""

    def held(value) -> bool:
        if value is None:
            return window.start is None
        at = value if isinstance(value, dt.datetime) else dt.datetime.combine(value, dt.time())
        return (window.start is None or window.start <= at) and at < window.end

    return [r for r in rows if held(r[window.column])]


def _expected_changes(state: dict, before: str, after: str) -> set[tuple[str, str | None]]:
    """(table, fiscal-year key) whose rows differ between two views of the same world,
    for the tables the sensor probes (the others reload nightly)."""
    world = World(state["seed"], state["scale"], state["start_year"])
    old = world.view(dt.date.fromisoformat(before)).sis[LOCATION]
    new = world.view(dt.date.fromisoformat(after)).sis[LOCATION]
    changed = set()
    for name, table in PROBED.items():
        partitions = CONFIG.partitions(table)
        if partitions is None:
            if old[name] != new[name]:
                changed.add((name, None))
            continue
        for key in partitions.get_partition_keys():
            window = CONFIG.window(table, key)
            if _inside(old[name], window) != _inside(new[name], window):
                changed.add((name, key))
    return changed


def _requested(defs, instance) -> set[tuple[str, str | None]]:
    return {
        (key.path[-1], r.partition_key)
        for r in sis_requests(defs, LOCATION, instance)
        for key in r.asset_selection
    }


def _run(defs, instance, requested):
    job = defs.resolve_implicit_global_asset_job_def()
    by_partition: dict[str | None, list[AssetKey]] = {}
    for table, partition in requested:
        by_partition.setdefault(partition, []).append(AssetKey([LOCATION, "powerschool", table]))
    for partition, keys in by_partition.items():
        job.execute_in_process(asset_selection=keys, partition_key=partition, instance=instance)


def _fiscal_year(day: str) -> str:
    """The fiscal-year partition key holding ``day``, by the partitions' own rule."""
    moment = dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12))
    partitions = CONFIG.partitions(PROBED["attendance"])
    assert partitions is not None
    return partitions.get_partition_key_for_timestamp(moment.timestamp())


def test_sensor_loads_exactly_what_advance_changed(sandbox, settings):
    defs = load_definitions(LOCATION)
    instance = DagsterInstance.ephemeral()
    # the district's school year, and the first fiscal year the config loads
    this_year = _fiscal_year(sandbox.state()["as_of"])
    first_year = CONFIG.first_fiscal_year.isoformat()

    # first evaluation: nothing was ever loaded, so every probed table and partition
    first = _requested(defs, instance)
    assert ("students", None) in first and ("attendance", this_year) in first
    assert ("storedgrades", first_year) in first  # history lands in the first partition
    assert not any(t in ("gen", "calendar_day") for t, _ in first)  # no cursor: nightly
    _run(defs, instance, first)
    assert _requested(defs, instance) == set()

    before = sandbox.state()["as_of"]
    truth = sandbox.advance(days=3)
    expected = _expected_changes(sandbox.state(), before, truth["as_of"])
    assert _fiscal_year(truth["as_of"]) == this_year  # three school days stay in the year
    assert ("attendance", this_year) in expected and ("schools", None) not in expected
    assert _requested(defs, instance) == expected

    # a run already loading one of them: the next tick leaves that one out ...
    table, partition = sorted(expected, key=str)[0]
    in_flight = instance.create_run_for_job(
        defs.resolve_implicit_global_asset_job_def(),
        asset_selection={AssetKey([LOCATION, "powerschool", table])},
        tags={"dagster/partition": partition} if partition else None,
        status=DagsterRunStatus.STARTED,
    )
    assert _requested(defs, instance) == expected - {(table, partition)}
    # ... until that run ends without loading it: then it is asked for again
    instance.report_run_failed(in_flight)
    assert _requested(defs, instance) == expected

    _run(defs, instance, expected)
    assert _requested(defs, instance) == set()
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        for table in PROBED:
            count = truth["tables_by_region"][LOCATION][table]
            loaded = con.execute(f"select count(*) from {LOCATION}_powerschool.{table}").fetchone()
            assert loaded[0] == count, table
            # nothing lost: rows with no stamp are loaded too
            nulls = con.execute(
                f"select count(*) from {LOCATION}_powerschool.{table} "
                f"where {PROBED[table].cursor} is null"
            ).fetchone()[0]
            if table in ("students", "storedgrades"):
                assert nulls > 0, table
