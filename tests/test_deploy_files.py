"""The deployment files name the same five code locations, each with a module that
loads, and hand every location the same environment; only kipptaf is a dbt Cloud project.

workspace.yaml (local), dagster_cloud.yaml (Dagster+ Hybrid) and deploy/helm/values.yaml
(OSS Helm) are edited by hand and read by three different tools; nothing but this test
notices when one of them names a location or module the others do not.
"""

from __future__ import annotations

import importlib
import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from dagster_k8s.container_context import K8sContainerContext
from dbt.jsonschemas.jsonschemas import project_schema
from jsonschema import Draft7Validator
from kubernetes.client import ApiClient

from teamster.core.regions import LOCATIONS
from teamster.libraries.dbt.resources import DBT_ROOT

ROOT = Path(__file__).parents[1]


def _yaml(path: str) -> Any:
    return yaml.safe_load((ROOT / path).read_text())


def _workspace() -> dict[str, str]:
    entries = [e["python_module"] for e in _yaml("workspace.yaml")["load_from"]]
    return {e["location_name"]: e["module_name"] for e in entries}


def _dagster_cloud() -> dict[str, dict[str, Any]]:
    return {loc["location_name"]: loc for loc in _yaml("dagster_cloud.yaml")["locations"]}


def _helm() -> dict[str, Any]:
    return _yaml("deploy/helm/values.yaml")


def _helm_deployments() -> dict[str, dict[str, Any]]:
    deployments = _helm()["dagster-user-deployments"]["deployments"]
    return {d["name"]: d for d in deployments}


def _grpc_module(args: list[str]) -> str:
    """The module `dagster api grpc` is told to load (`-m` or `--module-name`)."""
    flags = [i for i, a in enumerate(args) if a in ("-m", "--module-name")]
    assert len(flags) == 1, args
    return args[flags[0] + 1]


def _k8s(model: str, value: Any) -> Any:
    """``value`` (camelCase, as Kubernetes reads it) as a ``kubernetes`` client model;
    the client rejects missing required fields."""
    return ApiClient().deserialize(SimpleNamespace(data=json.dumps(value)), model)


def test_every_file_lists_exactly_the_five_locations() -> None:
    for name, locations in [
        (
            "workspace.yaml",
            [e["python_module"]["location_name"] for e in _yaml("workspace.yaml")["load_from"]],
        ),
        (
            "dagster_cloud.yaml",
            [loc["location_name"] for loc in _yaml("dagster_cloud.yaml")["locations"]],
        ),
        ("helm values", [d["name"] for d in _helm()["dagster-user-deployments"]["deployments"]]),
    ]:
        assert sorted(locations) == sorted(LOCATIONS), name


def test_every_file_names_the_same_module_per_location() -> None:
    expected = {loc: f"teamster.code_locations.{loc}.definitions" for loc in LOCATIONS}
    assert _workspace() == expected
    cloud = {name: loc["code_source"]["module_name"] for name, loc in _dagster_cloud().items()}
    assert cloud == expected
    helm = {name: _grpc_module(d["dagsterApiGrpcArgs"]) for name, d in _helm_deployments().items()}
    assert helm == expected


@pytest.mark.parametrize("location", LOCATIONS)
def test_each_module_imports_and_defines_the_location(settings, location: str) -> None:
    module = importlib.import_module(_dagster_cloud()[location]["code_source"]["module_name"])
    assert module.defs.resolve_asset_graph().materializable_asset_keys


def test_dagster_plus_builds_the_root_image_with_a_valid_container_context() -> None:
    for name, loc in _dagster_cloud().items():
        assert loc["build"]["directory"] == ".", name
        assert (ROOT / loc["build"]["directory"] / "Dockerfile").exists()
        assert loc["build"]["registry"], name
        # dagster-k8s's own schema for container_context; raises on an unknown field
        context = K8sContainerContext.create_from_config(loc["container_context"])
        run = context.run_k8s_config
        assert "TEAMSTER_ENV=prod" in loc["container_context"]["k8s"]["env_vars"], name
        assert [e["secret_ref"]["name"] for e in run.container_config["env_from"]] == [
            "teamster-env"
        ], name
        assert [m["mount_path"] for m in run.container_config["volume_mounts"]] == [
            "/run/secrets/teamster"
        ], name


def test_helm_deployments_are_valid_kubernetes_and_match_dagster_plus() -> None:
    cloud = _dagster_cloud()
    for name, d in _helm_deployments().items():
        assert isinstance(d["image"]["tag"], str) and d["image"]["tag"] != "latest", name
        assert isinstance(d["port"], int), name
        assert d["includeConfigInLaunchedRuns"]["enabled"] is True, name
        env = {e.name: e.value for e in (_k8s("V1EnvVar", e) for e in d["env"])}
        assert env["TEAMSTER_ENV"] == "prod", name
        secrets = [_k8s("V1SecretEnvSource", s).name for s in d["envSecrets"]]
        volumes = [_k8s("V1Volume", v) for v in d["volumes"]]
        mounts = [_k8s("V1VolumeMount", m) for m in d["volumeMounts"]]
        security = _k8s("V1SecurityContext", d["securityContext"])
        assert security.run_as_non_root and security.run_as_user == 10001, name
        # the same secrets, volume and mount as the Dagster+ container context
        k8s = cloud[name]["container_context"]["k8s"]
        assert secrets == k8s["env_secrets"], name
        assert [v.secret.secret_name for v in volumes] == [
            v["secret"]["secretName"] for v in k8s["volumes"]
        ], name
        assert [(m.name, m.mount_path) for m in mounts] == [
            (m["name"], m["mount_path"]) for m in k8s["volume_mounts"]
        ], name
    assert _helm()["runLauncher"]["type"] == "K8sRunLauncher"


def test_dockerfile_default_location_and_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    [default] = re.findall(r"^ARG LOCATION=(\S+)$", dockerfile, re.MULTILINE)
    assert default in LOCATIONS
    assert "TEAMSTER_LOCATION=${LOCATION}" in dockerfile
    # the CMD loads the module the other files name for that location
    assert "teamster.code_locations.$TEAMSTER_LOCATION.definitions" in dockerfile
    # the user the Helm securityContext promises
    assert re.search(r"^USER 10001:10001$", dockerfile, re.MULTILINE)


def test_only_kipptaf_is_a_dbt_cloud_project() -> None:
    for project in LOCATIONS:
        config = yaml.safe_load((DBT_ROOT / project / "dbt_project.yml").read_text())
        if project == "kipptaf":
            # dbt's own schema for dbt_project.yml, which dbt only warns about
            errors = [e.message for e in Draft7Validator(project_schema()).iter_errors(config)]
            assert errors == []
            assert config["dbt-cloud"]["project-id"]
        else:
            assert "dbt-cloud" not in config, project
