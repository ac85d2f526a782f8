"""Benchmark: the demo's stages beside plain `dbt build`s of the same nodes.

    uv run --locked python bench/demo_speed.py [--scale 1] [--keep DIR]

Runs `teamster demo` (full load, then the day-one catch-up) into a fresh data dir, then
reads the run records from the demo's Dagster instance:

- each Dagster run that built dbt models, beside a plain `dbt build` of the same
  nodes on the same warehouse (the `--select`/`--exclude` dagster-dbt passed, found
  in that run's `run_results.json`, run again from the project folder with the same
  indirect selection and the project's prepared partial-parse state, as a dbt user's
  `dbt build` in the folder would);
- ingestion: every run of the full load that built no dbt model (SIS, SFTP, APIs,
  sheets, AutoComm pushes);
- the whole demo (its wall time, as the user sees it) beside plain dbt builds plus
  ingestion, and the day-one catch-up beside the whole demo.

Targets (issue #12): a dbt run within 1.3x of its plain build, the demo within 2x of
plain builds + ingestion, the catch-up under a third of the demo. It measures and
prints; it asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATCH_UP_TAGS = {"dagster/sensor_name", "dagster/schedule_name"}


def _plain_build(project: str, selection: dict, env: dict[str, str]) -> float:
    """A plain `dbt build` of the nodes a Dagster run selected; wall seconds."""
    from teamster.libraries.dbt.resources import PARTIAL_PARSE, project_dir, run_dbt

    path = project_dir(project)
    # the same --target the runs pass, or dbt would not reuse the parse state
    args = ["build", "--project-dir", str(path), "--target", "local", "--quiet"]
    if selection.get("select"):
        args += ["--select", *selection["select"]]
    if selection.get("exclude"):
        args += ["--exclude", *selection["exclude"]]
    if selection.get("vars"):  # a partitioned group's partition (kipptaf's pay dates)
        args += ["--vars", json.dumps(selection["vars"])]
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as target:
        # what `dbt build` in the folder starts from: the project's partial-parse state
        shutil.copy(path / "target" / PARTIAL_PARSE, Path(target) / PARTIAL_PARSE)
        started = time.perf_counter()
        run_dbt([*args, "--target-path", target], path, env, project)
        return time.perf_counter() - started


def _run_results(run_id: str) -> list[tuple[str, dict]]:
    """(project, run_results.json) of each dbt invocation of a run: dagster-dbt names
    an invocation's target folder <op>-<run id[:7]>-<uuid>."""
    from teamster.libraries.dbt.resources import DBT_ROOT

    found = []
    for project in sorted(p for p in DBT_ROOT.iterdir() if (p / "dbt_project.yml").exists()):
        for path in sorted(project.glob(f"target/*-{run_id[:7]}-*/run_results.json")):
            found.append((project.name, json.loads(path.read_text())))
    return found


def _seconds(record) -> float:
    return (record.end_time or 0) - (record.start_time or 0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=Path, help="data dir to use and keep")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from support import free_port_base, make_data_dir

    data_dir = args.keep or make_data_dir("teamster-bench-demo-")
    data_dir.mkdir(parents=True, exist_ok=True)
    teamster = Path(sys.executable).parent / "teamster"
    env = {**os.environ, "TEAMSTER_SANDBOX_PORT_BASE": str(free_port_base()), "COLUMNS": "160"}
    env.pop("TEAMSTER_DATA_DIR", None)
    try:
        started = time.perf_counter()
        demo = subprocess.run(
            [str(teamster), "demo", "--data-dir", str(data_dir), "--scale", str(args.scale)]
            + ["--seed", str(args.seed)],
            env=env,
            capture_output=True,
            text=True,
        )
        demo_seconds = time.perf_counter() - started
        if demo.returncode != 0:
            raise SystemExit(f"demo failed:\n{demo.stdout[-3000:]}")
        _report(data_dir, env, demo_seconds)
    finally:
        if args.keep is None:
            shutil.rmtree(data_dir, ignore_errors=True)


def _report(data_dir: Path, env: dict[str, str], demo_seconds: float) -> None:
    from dagster import DagsterInstance, RunsFilter

    with DagsterInstance.from_config(str(data_dir / "dagster")) as instance:
        records = instance.get_run_records(RunsFilter(), ascending=True)
    env = env | {
        "TEAMSTER_DBT_TARGET": "local",
        "TEAMSTER_DUCKDB_PATH": str(data_dir / "warehouse.duckdb"),
        "DBT_INDIRECT_SELECTION": "buildable",
    }
    full = [r for r in records if not set(r.dagster_run.tags) & CATCH_UP_TAGS]
    day = [r for r in records if set(r.dagster_run.tags) & CATCH_UP_TAGS]
    rows, dbt_dagster, dbt_plain, ingestion = [], 0.0, 0.0, 0.0
    for record in full:
        invocations = _run_results(record.dagster_run.run_id)
        if not invocations:
            ingestion += _seconds(record)
            continue
        # a run may invoke dbt more than once (kipptaf's groups) and run other steps
        # too (Tableau extracts, AutoComm pushes): all of it counts against dbt here
        plain = sum(_plain_build(project, results["args"], env) for project, results in invocations)
        dagster = _seconds(record)
        dbt_dagster += dagster
        dbt_plain += plain
        nodes = sum(len(results["results"]) for _, results in invocations)
        rows.append((invocations[0][0], nodes, dagster, plain))
    print(f"{'project':<14} {'nodes':>6} {'dagster s':>10} {'plain s':>8} {'ratio':>6}")
    for project, nodes, dagster, plain in rows:
        print(f"{project:<14} {nodes:>6} {dagster:>10.1f} {plain:>8.1f} {dagster / plain:>6.2f}")
    print(
        f"{'all dbt runs':<14} {'':>6} {dbt_dagster:>10.1f} {dbt_plain:>8.1f} "
        f"{dbt_dagster / dbt_plain:>6.2f}"
    )
    catch_up = sum(_seconds(r) for r in day)
    print(f"ingestion runs: {ingestion:.1f}s in {len(full) - len(rows)} runs")
    print(
        f"demo wall time: {demo_seconds:.1f}s; plain dbt + ingestion: "
        f"{dbt_plain + ingestion:.1f}s; ratio {demo_seconds / (dbt_plain + ingestion):.2f}"
    )
    print(
        f"day-one catch-up: {len(day)} runs, {catch_up:.1f}s of runs "
        f"({catch_up / demo_seconds:.2f} of the demo)"
    )
    print(f"full-load runs: {len(full)}, {sum(_seconds(r) for r in full):.1f}s of runs")


if __name__ == "__main__":
    main()
