"""Shared fixtures: a small district served on free loopback ports.

The sandbox runs for the whole session; settings point at it through the same
environment variables a user would set.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from support import free_port_base, make_data_dir

# another district, to check the truth tests hold beyond the default one:
# TEAMSTER_TEST_SEED=11 TEAMSTER_TEST_SCALE=0.1 uv run pytest tests/dbt/powerschool
TEST_SEED = int(os.environ.get("TEAMSTER_TEST_SEED", "7"))
TEST_SCALE = float(os.environ.get("TEAMSTER_TEST_SCALE", "0.05"))  # ~125 students per region


@pytest.fixture(scope="session")
def data_dir() -> Iterator[Path]:
    path = make_data_dir("teamster-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


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
    from sandbox.district import Sandbox, ports_from_base

    box = Sandbox(settings.data_dir, ports_from_base(settings.sandbox_port_base))
    box.generate(seed=TEST_SEED, scale=TEST_SCALE)
    with box:
        yield box
