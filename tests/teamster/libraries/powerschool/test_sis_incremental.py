"""Incremental loads: after `advance`, the change sensor asks for exactly what changed."""

import datetime as dt

import duckdb
from dagster import AssetKey, DagsterInstance, DagsterRunStatus

from sandbox.generator import World
from sandbox.postgres import SIS_DDL
from support import sis_requests
from teamster.core.locations import load_definitions
from teamster.core.partitions import fiscal_year

LOCATION = "kippnewark"
PARTITIONED = {"attendance", "storedgrades", "pgfinalgrades"}


def _expected_changes(state: dict, before: str, after: str) -> set[tuple[str, str | None]]:
    """(table, fiscal-year key) whose rows differ between two views of the same world."""
    world = World(state["seed"], state["scale"], state["start_year"])
    old = world.view(dt.date.fromisoformat(before)).sis[LOCATION]
    new = world.view(dt.date.fromisoformat(after)).sis[LOCATION]
    changed = set()
    for table in SIS_DDL:
        if table in PARTITIONED:
            for key in ("2025-07-01", "2026-07-01"):
                window = fiscal_year(key, "transaction_date")

                def inside(rows, w=window):
                    return [r for r in rows if w.start <= r["transaction_date"] < w.end]

                if inside(old[table]) != inside(new[table]):
                    changed.add((table, key))
        elif old[table] != new[table]:
            changed.add((table, None))
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


def test_sensor_loads_exactly_what_advance_changed(sandbox, settings):
    defs = load_definitions(LOCATION)
    instance = DagsterInstance.ephemeral()

    # first evaluation: nothing was ever loaded, so every probed table and partition
    first = _requested(defs, instance)
    assert ("students", None) in first and ("attendance", "2026-07-01") in first
    assert not any(t in ("gen", "termbins") for t, _ in first)  # no cursor: nightly
    _run(defs, instance, first)
    assert _requested(defs, instance) == set()

    before = sandbox.state()["as_of"]
    truth = sandbox.advance(days=3)
    expected = _expected_changes(sandbox.state(), before, truth["as_of"])
    assert ("attendance", "2026-07-01") in expected and ("schools", None) not in expected
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
        for table, count in truth["tables_by_region"][LOCATION].items():
            if table in ("gen", "termbins"):
                continue
            loaded = con.execute(f"select count(*) from {LOCATION}_powerschool.{table}").fetchone()
            assert loaded[0] == count, table
