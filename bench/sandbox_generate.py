"""Benchmark: how long generating and publishing a district takes at several scales.

    uv run python bench/sandbox_generate.py [--scales 1 10]

Prints one row per scale: students, rows across SIS tables, seconds to draw the
world and take its view alone, and seconds for the whole `Sandbox.generate` (which
draws again, then initialises and loads PostgreSQL and writes every file and API).
It measures; it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

from sandbox.district import Sandbox
from sandbox.generator import DEFAULT_AS_OF, World
from teamster.core.settings.local import sandbox_ports


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 10.0])
    args = parser.parse_args()
    print(
        f"{'scale':>6} {'students':>9} {'SIS rows':>10} {'draw+view s':>12} "
        f"{'generate s':>11} {'s per scale':>12}"
    )
    for scale in args.scales:
        started = time.perf_counter()
        world = World(seed=7, scale=scale)
        district = world.view(DEFAULT_AS_OF)
        drawn = time.perf_counter() - started
        rows = sum(len(r) for t in district.sis.values() for r in t.values())
        students = sum(len(t["students"]) for t in district.sis.values())
        data_dir = Path(tempfile.mkdtemp(prefix="teamster-bench-"))
        os.chmod(data_dir, 0o755)
        try:
            started = time.perf_counter()
            Sandbox(data_dir, sandbox_ports(45000)).generate(seed=7, scale=scale)
            total = time.perf_counter() - started
        finally:
            shutil.rmtree(data_dir, ignore_errors=True)
        print(
            f"{scale:>6g} {students:>9,} {rows:>10,} {drawn:>12.1f} {total:>11.1f} "
            f"{total / scale:>12.1f}"
        )


if __name__ == "__main__":
    main()
