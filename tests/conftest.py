"""Shared fixtures: a small district served on free loopback ports.

The sandbox runs for the whole session; settings point at it through the same
environment variables a user would set.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from shared_demo import DemoRun

from support import (
    TEST_SCALE,
    TEST_SEED,
    compile_project,
    free_port_base,
    make_data_dir,
    prune_sis_clusters,
)


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    path = make_data_dir("teamster-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)
    prune_sis_clusters()


@pytest.fixture(scope="session")
def settings(data_dir: Path):
    from teamster.core.settings import current

    saved = {
        k: os.environ.get(k)
        for k in ("TEAMSTER_ENV", "TEAMSTER_DATA_DIR", "TEAMSTER_SANDBOX_PORT_BASE")
    }
    os.environ.update(
        TEAMSTER_ENV="local",
        TEAMSTER_DATA_DIR=str(data_dir),
        TEAMSTER_SANDBOX_PORT_BASE=str(free_port_base()),
    )
    current.cache_clear()
    yield current()
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    current.cache_clear()


@pytest.fixture(scope="session")
def sandbox(settings):
    """The running district; tests may read its truth and secrets."""
    from sandbox.district import Sandbox
    from teamster.core.settings.local import sandbox_ports

    box = Sandbox(settings.data_dir, sandbox_ports(settings.sandbox_port_base))
    box.generate(seed=TEST_SEED, scale=TEST_SCALE)
    with box:
        yield box


# --- the demo, run once per session as a user runs it ----------------------------------


@pytest.fixture(scope="session")
def demo_run() -> Iterator[DemoRun]:
    """The demo's first run on a fresh data dir (``first``); tests may run it again."""
    demo = DemoRun(make_data_dir("teamster-demo-"), free_port_base())
    try:
        demo.first = demo.run()
        yield demo
    finally:
        for path in [demo.data_dir, *demo.dagster_homes]:
            shutil.rmtree(path, ignore_errors=True)
        prune_sis_clusters()


@pytest.fixture
def umask_022() -> Iterator[None]:
    """The usual default umask (group and others may read), for this process and the
    commands it starts: what teamster writes must be private even so."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


# --- dbt: prepared manifests and one shared compile -----------------------------------
# Compiling renders every model's SQL (refs, sources, cross-database macros) without
# running it or opening the warehouse (``--no-populate-cache``; the profile's DuckDB path
# points into a temporary directory). Everything is written there, never into the
# projects' target/. The dbt tests and the fidelity tests share it.

PROJECTS = ["kipptaf", "kippnewark", "kippcamden", "kippmiami", "kipppaterson"]

Manifest = dict[str, Any]


@pytest.fixture(scope="session")
def kipptaf_manifest() -> Manifest:
    """kipptaf's manifest as code locations load it (`teamster dbt prepare`)."""
    from teamster.libraries.dbt.resources import prepare

    return json.loads(prepare("kipptaf").read_text())


def _compile(name: str, work: Path) -> Manifest:
    # the file's stem names the database in compiled SQL: support.staging_error expects it
    warehouse = work / name / "warehouse.duckdb"
    env = {"TEAMSTER_DBT_TARGET": "local", "TEAMSTER_DUCKDB_PATH": str(warehouse)}
    # render only: no warehouse connection, so compiles can run side by side
    return compile_project(name, work, env, ["--no-populate-cache"])


@pytest.fixture(scope="session")
def compiled_manifests() -> Iterator[dict[str, Manifest]]:
    """Every project compiled once per session (two at a time), by project name."""
    work = make_data_dir("teamster-dbt-compile-")
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            manifests = dict(
                zip(PROJECTS, pool.map(lambda p: _compile(p, work), PROJECTS), strict=True)
            )
        yield manifests
    finally:
        shutil.rmtree(work, ignore_errors=True)


# --- the production path: BigQuery and GCS emulators --------------------------------


@pytest.fixture(scope="session")
def cloud() -> Iterator[Any]:
    """BigQuery and GCS emulators on 127.0.0.1 (their venv is built from the registry).

    Skipped where Python 3.13 is missing (the BigQuery emulator needs it), unless
    ``TEAMSTER_REQUIRE_EMULATORS`` is set, as CI sets it: then that fails the tests.
    """
    from contextlib import ExitStack

    from sandbox.cloud import EmulatorUnavailable, emulators

    root = make_data_dir("teamster-cloud-")
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, root, ignore_errors=True)
        try:
            running = stack.enter_context(emulators(root))
        except EmulatorUnavailable as e:
            if os.environ.get("TEAMSTER_REQUIRE_EMULATORS"):
                pytest.fail(f"emulators required but unavailable: {e}")
            pytest.skip(f"BigQuery/GCS emulators unavailable: {e}")
        yield running
