"""`dagster dev` (through `teamster dev`) serves all five code locations and runs assets.

The run goes the way a click in the UI does: launched over GraphQL, executed by the
default run launcher in its own process, reading the test session's sandbox.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import httpx

from support import free_port_base
from teamster.core.settings import LOCATIONS

WORKSPACE = """{ workspaceOrError { ... on Workspace { locationEntries {
  name locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
LAUNCH = """mutation($params: ExecutionParams!) { launchRun(executionParams: $params) {
  __typename ... on LaunchRunSuccess { run { runId } } ... on PythonError { message }
  ... on InvalidSubsetError { message } ... on RunConfigValidationInvalid { errors { message } }
} }"""
STATUS = """query($id: ID!) { runOrError(runId: $id) { ... on Run { status } } }"""
FINISHED = {"SUCCESS", "FAILURE", "CANCELED"}


def _graphql(port: int, query: str, variables: dict | None = None) -> dict:
    r = httpx.post(
        f"http://127.0.0.1:{port}/graphql",
        json={"query": query, "variables": variables or {}},
        timeout=30,
    )
    return r.json()["data"]


def _wait_for_locations(port: int, proc: subprocess.Popen) -> dict[str, str]:
    loaded: dict[str, str] = {}
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            entries = _graphql(port, WORKSPACE)["workspaceOrError"]["locationEntries"]
            loaded = {
                e["name"]: (e["locationOrLoadError"] or {}).get("__typename", "") for e in entries
            }
            if len(loaded) == len(LOCATIONS) and all(loaded.values()):
                break
        except (httpx.HTTPError, KeyError, TypeError, ValueError):
            pass
        time.sleep(1)
    return loaded


def _run_asset(port: int, location: str, path: list[str]) -> str:
    params = {
        "selector": {
            "repositoryLocationName": location,
            "repositoryName": "__repository__",
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": path}],
        },
        "mode": "default",
    }
    launched = _graphql(port, LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 180
    status = ""
    while time.monotonic() < deadline and status not in FINISHED:
        time.sleep(2)
        status = _graphql(port, STATUS, {"id": run_id})["runOrError"].get("status", "")
    return status


def test_dagster_dev_loads_all_five_locations_and_runs_an_asset(sandbox, settings):
    port = free_port_base(1)
    teamster = Path(sys.executable).parent / "teamster"
    # the session's data dir: the run reads the sandbox whose secrets live there
    data_dir = str(settings.data_dir)
    proc = subprocess.Popen(
        [str(teamster), "dev", "--data-dir", data_dir, "--port", str(port)],
        env={**os.environ, "TEAMSTER_DATA_DIR": data_dir},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        loaded = _wait_for_locations(port, proc)
        assert loaded == {loc: "RepositoryLocation" for loc in LOCATIONS}
        status = _run_asset(port, "kippcamden", ["kippcamden", "powerschool", "schools"])
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    assert status == "SUCCESS"
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        (schools,) = con.execute("select count(*) from kippcamden_powerschool.schools").fetchone()
    truth = json.loads(sandbox.truth_path.read_text())
    assert schools == truth["tables_by_region"]["kippcamden"]["schools"]
