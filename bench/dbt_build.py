"""Benchmark: `dbt build` of every project, per project, at several scales.

    uv run --locked python bench/dbt_build.py [--scales 1 10]

For each scale: runs `teamster demo` into a fresh data dir (which lands every raw
table and builds everything once), then times a plain `dbt build` of each project,
regions first, then kipptaf (the regions' AutoComm wrappers read the kipptaf extracts
that the demo already built). Prints wall seconds per project and the warehouse's
total row count, so the cost can be set against the size of the data. It measures;
it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from teamster.libraries.dbt.resources import project_dir, run_dbt

ROOT = Path(__file__).resolve().parents[1]
REGIONS = ("kippnewark", "kippcamden", "kippmiami", "kipppaterson")
ORDER = (*REGIONS, "kipptaf")


def _rows(warehouse: Path) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables"
            " where table_type = 'BASE TABLE'"
        ).fetchall()
        return sum(
            con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            for schema, name in tables
        )


def _build(project: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    path = project_dir(project)
    run_dbt(["build", "--project-dir", str(path), "--quiet"], path, env, project)
    seconds = time.perf_counter() - started
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from support import free_port_base, make_data_dir

    teamster = Path(sys.executable).parent / "teamster"
    header = f"{'scale':>6} {'warehouse rows':>15} " + " ".join(f"{p:>13}" for p in ORDER)
    lines = []
    for scale in args.scales:
        data_dir = make_data_dir("teamster-bench-dbt-")
        try:
            env = {**os.environ, "TEAMSTER_SANDBOX_PORT_BASE": str(free_port_base())}
            env.pop("TEAMSTER_DATA_DIR", None)
            demo = subprocess.run(
                [str(teamster), "demo", "--data-dir", str(data_dir), "--scale", str(scale)],
                env=env,
                capture_output=True,
                text=True,
            )
            if demo.returncode != 0:
                raise SystemExit(f"demo failed at scale {scale}:\n{demo.stdout[-3000:]}")
            warehouse = data_dir / "warehouse.duckdb"
            env |= {"TEAMSTER_DBT_TARGET": "local", "TEAMSTER_DUCKDB_PATH": str(warehouse)}
            seconds = {p: _build(p, env) for p in ORDER}
            lines.append(
                f"{scale:>6g} {_rows(warehouse):>15,} "
                + " ".join(f"{seconds[p]:>12.1f}s" for p in ORDER)
            )
            print(header, *lines, sep="\n", flush=True)
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
