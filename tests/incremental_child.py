"""The child of tests/test_incremental_equals_rebuild.py: builds one data dir.

Code locations bind the settings (data dir, warehouse, sandbox ports) when they load,
once per process, so each of the test's two data dirs is built in a process of its own.

    incremental DATA_DIR SEED SCALE START DAYS REPORT
        the district generated on START, everything loaded, the automation baseline
        noted; then DAYS times: the district moves one school day on and the day is
        caught up with through the sensors, schedules and automation only
    rebuild DATA_DIR SEED SCALE DAY REPORT
        the district generated directly on DAY, everything loaded from scratch

REPORT gets JSON: the day the district shows at the end, seconds per stage, the runs
each catch-up made, and every warehouse table's fingerprint after the full load and
after each day (what each day changed, for the test's account of the days crossed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sys
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


def fingerprints(
    warehouse: Path,
    exclude: Mapping[str, Iterable[str]] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> dict[str, list[int]]:
    """Every warehouse relation as [rows, sum of its rows' hashes]: equal for equal
    relations whatever the rows' order; a changed or doubled row shows. ``exclude``
    leaves columns of a relation (``schema.name``) out; ``con`` is an open connection
    to ``warehouse``, if the caller has one."""
    import duckdb

    exclude = exclude or {}
    with contextlib.ExitStack() as stack:
        if con is None:
            con = stack.enter_context(duckdb.connect(str(warehouse), read_only=True))
        relations = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() order by 1, 2"
        ).fetchall()
        found = {}
        for schema, name in relations:
            skipped = ", ".join(f'"{c}"' for c in exclude.get(f"{schema}.{name}", ()))
            columns = f"* exclude ({skipped})" if skipped else "*"
            [(rows, total)] = con.execute(
                "select count(*), coalesce(sum(hash(t)::hugeint), 0) "
                f'from (select {columns} from "{schema}"."{name}") t'
            ).fetchall()
            found[f"{schema}.{name}"] = [rows, int(total)]
    return found


def main(argv: list[str]) -> dict[str, Any]:
    from dagster import DagsterInstance

    from teamster.cli import dagster_home, local_sandbox, use_local
    from teamster.core.catch_up import catch_up, record_baseline
    from teamster.core.instance import unsynced_sqlite
    from teamster.core.locations import Launcher, materialize_all
    from teamster.core.regions import LOCATIONS
    from teamster.libraries.dbt.resources import prepare

    mode, data_dir, seed, scale = argv[0], Path(argv[1]), int(argv[2]), float(argv[3])
    settings = use_local(data_dir)
    warehouse = settings.warehouse.path
    report: dict[str, Any] = {"mode": mode, "seconds": {}, "days": [], "fingerprints": {}}
    started = time.monotonic()
    # two manifests (their parse state for this warehouse) at a time, as the demo's are
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda p: prepare(p, warehouse=warehouse), LOCATIONS))
    report["seconds"]["dbt prepare"] = time.monotonic() - started
    sandbox = local_sandbox(settings)
    first = dt.date.fromisoformat(argv[4])
    truth = sandbox.generate(seed=seed, scale=scale, as_of=first)
    home = dagster_home(settings)
    with (
        sandbox,
        unsynced_sqlite(home),
        DagsterInstance.from_config(str(home)) as instance,
    ):
        started = time.monotonic()
        materialize_all(instance, quiet=True)
        report["seconds"]["full load"] = time.monotonic() - started
        report["fingerprints"][truth["as_of"]] = fingerprints(warehouse)
        if mode == "incremental":
            record_baseline(instance)
            launcher = Launcher(instance, quiet=True)
            for _ in range(int(argv[5])):
                truth = sandbox.advance(1)
                day = dt.date.fromisoformat(truth["as_of"])
                started = time.monotonic()
                launched = catch_up(instance, day, launcher=launcher)
                report["days"].append(
                    {
                        "day": day.isoformat(),
                        "seconds": time.monotonic() - started,
                        "runs": [
                            {
                                "location": run.location,
                                "origin": run.origin,
                                "partition": run.partition,
                                "assets": sorted(k.to_user_string() for k in run.keys),
                            }
                            for run in launched
                        ],
                    }
                )
                report["fingerprints"][day.isoformat()] = fingerprints(warehouse)
    report["as_of"] = truth["as_of"]
    return report


if __name__ == "__main__":
    args = sys.argv[1:]
    # Dagster's and dbt's own output goes to stderr, which the test keeps in a log
    with contextlib.redirect_stdout(sys.stderr):
        result = main(args[:-1])
    Path(args[-1]).write_text(json.dumps(result))
