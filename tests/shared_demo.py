"""The demo run the end-to-end test and the secrets test share (fixture ``demo_run`` in
conftest.py): one run takes minutes, so the session makes it once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class DemoRun:
    """`teamster demo --seed 11 --scale 0.08` in a subprocess, with ``TEAMSTER_LOG_LEVEL``
    at DEBUG: the end-to-end test checks its console and warehouse, the secrets test
    scans everything it wrote. One run (minutes) serves both."""

    data_dir: Path
    port_base: int
    # each run's DAGSTER_HOME (where Dagster keeps telemetry state), outside the data dir
    dagster_homes: list[Path] = field(default_factory=list)
    first: subprocess.CompletedProcess | None = None

    def command(self) -> tuple[list[str], dict[str, str]]:
        """The command line and environment of a demo run on this data dir."""
        teamster = Path(sys.executable).parent / "teamster"
        home = Path(tempfile.mkdtemp(prefix="teamster-demo-dagster-home-"))
        self.dagster_homes.append(home)
        env = {
            **os.environ,
            "TEAMSTER_SANDBOX_PORT_BASE": str(self.port_base),
            # Dagster prints its telemetry banner on a DAGSTER_HOME's first use with
            # telemetry on: a fresh one shows it unless the demo's instance turns it off
            "DAGSTER_HOME": str(home),
            # wide enough that no progress line or summary cell is cut or wrapped
            "COLUMNS": "200",
            # every library's DEBUG lines into the run's event log, for the leak scan
            "TEAMSTER_LOG_LEVEL": "DEBUG",
        }
        env.pop("TEAMSTER_DATA_DIR", None)
        env.pop("DAGSTER_DISABLE_TELEMETRY", None)
        args = [str(teamster), "demo", "--data-dir", str(self.data_dir)]
        # another seed and scale than the session's sandbox (conftest.TEST_SEED and
        # TEST_SCALE): the truth checks run on both, so they hold at two of each
        return [*args, "--seed", "11", "--scale", "0.08"], env

    def run(self) -> subprocess.CompletedProcess:
        """One more demo run on the same data dir, to its end.

        Stopped early (Ctrl-C, which the demo receives too, or the timeout, which sends
        it SIGINT), the demo is given time to stop the PostgreSQL servers it started:
        killing it outright, as ``subprocess.run`` does, would leave them running."""
        args, env = self.command()
        process = subprocess.Popen(
            args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        try:
            out, err = process.communicate(timeout=900)
        except BaseException as stopped:
            if isinstance(stopped, subprocess.TimeoutExpired):
                process.send_signal(signal.SIGINT)
            try:
                process.communicate(timeout=120)
            finally:
                process.kill()  # a no-op once it has exited
            raise
        return subprocess.CompletedProcess(args, process.returncode, out, err)
