"""`dagster dev` (through `teamster dev`) serves all five code locations and runs assets.

The run goes the way a click in the UI does: launched over GraphQL, executed by the
default run launcher in its own process, reading the test session's sandbox.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import pytest

from support import free_port_base
from teamster.core.regions import LOCATIONS

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


@pytest.fixture(scope="module")
def dev_server(sandbox, settings) -> Iterator[int]:
    """`teamster dev` on the session's data dir (whose sandbox the runs read); its port."""
    port = free_port_base(1)
    teamster = Path(sys.executable).parent / "teamster"
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
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)


def test_dagster_dev_loads_all_five_locations_and_runs_an_asset(dev_server, sandbox, settings):
    status = _run_asset(dev_server, "kippcamden", ["kippcamden", "powerschool", "schools"])
    assert status == "SUCCESS"
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        (schools,) = con.execute("select count(*) from kippcamden_powerschool.schools").fetchone()
    truth = json.loads(sandbox.truth_path.read_text())
    assert schools == truth["tables_by_region"]["kippcamden"]["schools"]


def _chromium() -> str:
    found = os.environ.get("TEAMSTER_CHROMIUM") or shutil.which("chromium")
    found = found or shutil.which("chromium-browser")
    if found:
        return found
    message = (
        "no Chromium: install Debian's (`apt-get install -y chromium`) or set TEAMSTER_CHROMIUM"
    )
    if os.environ.get("TEAMSTER_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


# a group only that location has
SOME_GROUP = {
    "kipptaf": "kipptaf_marts",
    "kippnewark": "kippnewark_extracts",
    "kippcamden": "kippcamden_extracts",
    "kippmiami": "kippmiami_extracts",
    "kipppaterson": "powerschool_sis",
}


def test_the_ui_in_a_browser_shows_every_location_and_the_lineage(dev_server, tmp_path):
    """What a user sees: headless Chromium (the system's; Playwright downloads nothing
    here) on the catalog and on the lineage of Newark's AutoComm push."""
    from playwright.sync_api import sync_playwright

    assert set(SOME_GROUP) == set(LOCATIONS)
    base = f"http://127.0.0.1:{dev_server}"
    with sync_playwright() as p:
        # --no-sandbox: Chromium's own sandbox cannot start as root (CI runs as root)
        browser = p.chromium.launch(executable_path=_chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            for location, group in SOME_GROUP.items():
                # the location's page of the catalog: its asset groups, with counts
                page.goto(f"{base}/locations/{location}/assets", wait_until="networkidle")
                page.get_by_text(group, exact=True).first.wait_for(timeout=30_000)
                counts = re.findall(rf"\b{group}\s+(\d+) assets?", page.inner_text("body"))
                assert counts and int(counts[0]) > 0, (location, group)
                assert page.locator("[role=dialog]").count() == 0, location
            page.goto(
                f"{base}/assets/kippnewark/powerschool_autocomm"
                "?view=lineage&lineageScope=upstream&lineageDepth=12",
                wait_until="networkidle",
            )
            # the groups on the way from the SIS to the push, left to right
            path = [
                "powerschool_sis",
                "powerschool",
                "kipptaf_powerschool",
                "kipptaf_extracts",
                "kippnewark_extracts",
                "powerschool_autocomm",
            ]
            for group in path:
                page.get_by_text(group, exact=True).first.wait_for(timeout=30_000)
            body = page.inner_text("body")
            assert body.count("students") >= 4  # each region's SIS students table
            assert page.locator("[role=dialog]").count() == 0
            assert "Error" not in body and "Welcome to Dagster" not in body
            page.screenshot(path=str(tmp_path / "lineage.png"))
        finally:
            browser.close()
    assert (tmp_path / "lineage.png").stat().st_size > 10_000
