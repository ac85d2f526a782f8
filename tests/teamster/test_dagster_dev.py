"""`dagster dev` (through `teamster dev`) serves all five code locations."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from support import free_port_base
from teamster.core.settings import LOCATIONS

QUERY = """{ workspaceOrError { ... on Workspace { locationEntries {
  name locationOrLoadError { __typename ... on PythonError { message } } } } } }"""


def test_dagster_dev_loads_all_five_locations(settings, tmp_path):
    port = free_port_base(1)
    teamster = Path(sys.executable).parent / "teamster"
    env = {**os.environ, "TEAMSTER_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen(
        [str(teamster), "dev", "--data-dir", str(tmp_path), "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    loaded: dict[str, str] = {}
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                r = httpx.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}, timeout=10
                )
                entries = r.json()["data"]["workspaceOrError"]["locationEntries"]
                loaded = {
                    e["name"]: (e["locationOrLoadError"] or {}).get("__typename", "")
                    for e in entries
                }
                if len(loaded) == len(LOCATIONS) and all(loaded.values()):
                    break
            except (httpx.HTTPError, KeyError, TypeError, ValueError):
                pass
            time.sleep(1)
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    assert loaded == {loc: "RepositoryLocation" for loc in LOCATIONS}
