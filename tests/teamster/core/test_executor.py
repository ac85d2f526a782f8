"""In prod every step runs in its own Kubernetes pod, and kipptaf's dbt groups ask for
their CPU: 2000m for core, 1750m for the reporting extracts, the default for the rest.

The pod spec is built the way dagster-k8s's step handler builds it (step tags from the
execution plan, ``get_user_defined_k8s_config``, a container context merged over the
run launcher's, ``construct_dagster_k8s_job``), then sent through the ``kubernetes``
client's own serializer and deserializer, which reject a malformed Job. Only the API
call to a cluster is left out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from dagster import Definitions
from dagster._core.execution.api import create_execution_plan
from dagster_k8s import k8s_job_executor
from dagster_k8s.container_context import K8sContainerContext
from dagster_k8s.job import (
    construct_dagster_k8s_job,
    get_k8s_job_name,
    get_user_defined_k8s_config,
)
from kubernetes.client import ApiClient, V1Job
from kubernetes.utils import parse_quantity

import teamster
from support import prod_env
from support import prod_settings as support_prod_settings
from teamster.core.executor import executor_for
from teamster.core.locations import load_definitions
from teamster.core.regions import LOCATIONS
from teamster.core.settings import Settings, load_settings
from teamster.libraries.dbt.assets import build_group_assets
from teamster.libraries.dbt.config import load_groups
from teamster.libraries.dbt.resources import dbt_resource, prepare

CONFIG = Path(teamster.__file__).parent / "code_locations" / "kipptaf" / "config" / "dbt.yaml"
# group -> the CPU request its step pod must make (None: the cluster's default)
EXPECTED_CPU = {
    "core_dbt_assets": "2000m",
    "reporting_dbt_assets": "1750m",
    "google_sheet_dbt_assets": None,
    "adp_payroll_dbt_assets": None,
}
# what a K8sRunLauncher from deploy/helm/values.yaml hands every step pod
LAUNCHER = SimpleNamespace(
    job_image=None,
    dagster_home="/opt/dagster/dagster_home",
    instance_config_map="dagster-instance",
    postgres_password_secret="dagster-postgresql-secret",
)
LAUNCHER_CONTEXT = K8sContainerContext(namespace="dagster", env_secrets=["teamster-env"])
IMAGE = "registry.example.org/teamster:test"


@pytest.fixture(scope="module")
def prod_settings() -> Settings:
    return support_prod_settings()


def test_prod_runs_steps_with_the_kubernetes_executor(prod_settings: Settings) -> None:
    assert prod_settings.environment == "prod"
    assert executor_for(prod_settings) is k8s_job_executor


def test_local_keeps_dagsters_default_executor(tmp_path: Path) -> None:
    local = load_settings({"TEAMSTER_DATA_DIR": str(tmp_path)})
    assert local.environment == "local"
    assert executor_for(local) is None


# imports every location in a fresh process, as a code server in prod does
LOAD_ALL = """
import importlib, json, sys
executors = {}
for location in sys.argv[1:]:
    defs = importlib.import_module(f"teamster.code_locations.{location}.definitions").defs
    executors[location] = defs.executor.name if defs.executor else None
print(json.dumps(executors))
"""


def test_every_location_uses_the_kubernetes_executor_in_prod() -> None:
    for location in LOCATIONS:
        prepare(location)  # prod loads manifests but never writes them
    # only prod's settings, but the same dbt projects as this process
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TEAMSTER_") or k == "TEAMSTER_DBT_ROOT"
    }
    result = subprocess.run(
        [sys.executable, "-c", LOAD_ALL, *LOCATIONS],
        env=env | prod_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert json.loads(result.stdout.splitlines()[-1]) == dict.fromkeys(LOCATIONS, "k8s")


def test_every_location_keeps_the_default_executor_locally(settings: Settings) -> None:
    assert settings.environment == "local"
    for location in LOCATIONS:
        assert load_definitions(location).executor is None, location


def _step_job(step: str, tags: dict[str, str]) -> dict[str, Any]:
    """The Job body the k8s executor would send for ``step``, as JSON."""
    context = LAUNCHER_CONTEXT.merge(
        K8sContainerContext(run_k8s_config=get_user_defined_k8s_config(tags))
    )
    name = f"dagster-step-{get_k8s_job_name('0f1e2d3c-run', step)}"
    job = construct_dagster_k8s_job(
        job_config=context.get_k8s_job_config(IMAGE, LAUNCHER),
        args=["dagster", "api", "execute_step"],
        job_name=name,
        pod_name=name,
        component="step_worker",
        user_defined_k8s_config=context.run_k8s_config,
        labels={"dagster/op": step},
        env_vars=[{"name": "DAGSTER_RUN_STEP_KEY", "value": step}],
    )
    return ApiClient().sanitize_for_serialization(job)


@pytest.fixture(scope="module")
def step_jobs(kipptaf_manifest: dict, prod_settings: Settings) -> dict[str, dict[str, Any]]:
    """Each kipptaf dbt group's step Job, built in prod from the code location's config."""
    groups = build_group_assets(load_groups(CONFIG), prod_settings)
    defs = Definitions(
        assets=groups,
        resources={"dbt": dbt_resource("kipptaf", prod_settings)},
        executor=executor_for(prod_settings),
    )
    job = defs.resolve_implicit_global_asset_job_def()
    assert job.executor_def is k8s_job_executor
    plan = create_execution_plan(job)
    names = [g.node_def.name for g in groups]
    return {name: _step_job(name, dict(plan.get_step_by_key(name).tags)) for name in names}


def test_every_dbt_group_has_a_step(step_jobs: dict[str, dict[str, Any]]) -> None:
    assert set(step_jobs) == set(EXPECTED_CPU)


@pytest.mark.parametrize(("group", "cpu"), EXPECTED_CPU.items())
def test_dbt_group_pod_requests_its_cpu(
    step_jobs: dict[str, dict[str, Any]], group: str, cpu: str | None
) -> None:
    body = step_jobs[group]
    # the client's deserializer checks required fields and types of every nested model
    job = ApiClient().deserialize(SimpleNamespace(data=json.dumps(body)), "V1Job")
    assert isinstance(job, V1Job)
    assert (job.api_version, job.kind) == ("batch/v1", "Job")
    pod = job.spec.template.spec
    assert pod.restart_policy == "Never"
    [container] = pod.containers
    assert container.image == IMAGE
    requests = (container.resources.requests if container.resources else None) or {}
    if cpu is None:
        assert "cpu" not in requests
    else:
        assert requests["cpu"] == cpu
        assert parse_quantity(requests["cpu"]) == Decimal(int(cpu[:-1])) / 1000
    # the group's tags add to what the launcher sets; they do not replace it
    assert [s.secret_ref.name for s in container.env_from if s.secret_ref] == ["teamster-env"]
