"""End to end: `teamster demo` as a user runs it, checked against the sandbox's truth."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from support import free_port_base, make_data_dir


def _demo(data_dir: Path, port_base: int) -> subprocess.CompletedProcess:
    teamster = Path(sys.executable).parent / "teamster"
    env = {**os.environ, "TEAMSTER_SANDBOX_PORT_BASE": str(port_base)}
    env.pop("TEAMSTER_DATA_DIR", None)
    return subprocess.run(
        [str(teamster), "demo", "--data-dir", str(data_dir), "--seed", "7", "--scale", "0.05"],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _counts(data_dir: Path) -> dict[str, int]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return dict(
            con.execute(
                "select code_location, count(*) from kipptaf.dim_students group by 1"
            ).fetchall()
        )


def test_demo_matches_truth_and_reruns_safely():
    data_dir = make_data_dir("teamster-demo-")
    port_base = free_port_base()
    first = _demo(data_dir, port_base)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
    truth = json.loads((data_dir / "sandbox" / "truth.json").read_text())
    assert _counts(data_dir) == truth["students_by_region"]
    assert "kipptaf" in first.stdout and "done" in first.stdout

    second = _demo(data_dir, port_base)
    assert second.returncode == 0, second.stdout[-3000:] + second.stderr[-3000:]
    assert _counts(data_dir) == truth["students_by_region"]
