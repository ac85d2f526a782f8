"""kipptaf's four dbt asset groups and the workbooks over them, as the location builds them."""

import json
from pathlib import Path

import pytest
import yaml
from dagster import AssetKey, Backoff, DynamicPartitionsDefinition, Jitter

import teamster
from teamster.core.settings import SettingsError
from teamster.libraries.dbt.assets import build_group_assets, canonical_assets
from teamster.libraries.dbt.config import load_groups
from teamster.libraries.tableau.assets import (
    TableauConfig,
    Workbook,
    build_workbook_assets,
    load_tableau_config,
)

CONFIG = Path(teamster.__file__).parent / "code_locations" / "kipptaf" / "config"


@pytest.fixture(scope="module")
def groups(settings):
    return {
        a.node_def.name: a for a in build_group_assets(load_groups(CONFIG / "dbt.yaml"), settings)
    }


def _cpu(assets) -> str | None:
    # op tags are strings: dagster-k8s reads this one as JSON
    config = assets.op.tags.get("dagster-k8s/config")
    return (
        json.loads(config)["container_config"]["resources"]["requests"]["cpu"] if config else None
    )


def test_cpu_reaches_the_k8s_executor_through_op_tags(groups):
    assert _cpu(groups["core_dbt_assets"]) == "2000m"
    assert _cpu(groups["reporting_dbt_assets"]) == "1750m"
    assert _cpu(groups["google_sheet_dbt_assets"]) is None


def test_google_sheet_group_retries_with_backoff_and_jitter(groups):
    policy = groups["google_sheet_dbt_assets"].op.retry_policy
    assert policy.max_retries == 3
    assert policy.backoff == Backoff.EXPONENTIAL
    assert policy.jitter == Jitter.PLUS_MINUS
    assert groups["core_dbt_assets"].op.retry_policy is None


def test_adp_group_is_partitioned_like_the_ledger_files(groups):
    adp = groups["adp_payroll_dbt_assets"]
    assert adp.partitions_def == DynamicPartitionsDefinition(name="adp_payroll_pay_dates")
    assert AssetKey(["kipptaf", "fct_payroll_by_location"]) in adp.keys
    for name in ("core_dbt_assets", "reporting_dbt_assets", "google_sheet_dbt_assets"):
        assert groups[name].partitions_def is None


def test_groups_do_not_overlap(groups):
    seen: dict[AssetKey, str] = {}
    for name, assets in groups.items():
        for key in assets.keys:
            assert key not in seen, f"{key.to_user_string()} in {seen.get(key)} and {name}"
            seen[key] = name


def test_workbooks_resolve_their_models_through_core(groups):
    workbooks = build_workbook_assets(
        "kipptaf", load_tableau_config(CONFIG / "tableau.yaml"), groups["core_dbt_assets"]
    )
    attendance = next(w for w in workbooks if "attendance" in w.node_def.name)
    spec = next(iter(attendance.specs))
    assert spec.key == AssetKey(["kipptaf", "tableau_workbooks", "attendance_dashboard"])
    assert [d.asset_key for d in spec.deps] == [
        AssetKey(["kipptaf", "tableau", "rpt_tableau__attendance"])
    ]
    # the models a workbook reads are built by the reporting group, not core
    assert spec.deps[0].asset_key in groups["reporting_dbt_assets"].keys


def test_a_workbook_naming_a_missing_model_fails_at_load(groups):
    config = TableauConfig(
        workbooks=[
            Workbook(
                name="Ghost Workbook",
                id="00000000-0000-4000-8000-000000000000",  # ids are LUIDs
                models=["rpt_tableau__nope"],
            )
        ]
    )
    with pytest.raises(ValueError, match="'Ghost Workbook' reads model 'rpt_tableau__nope'"):
        build_workbook_assets("kipptaf", config, groups["core_dbt_assets"])


def test_the_canonical_group_is_declared_in_the_config():
    config = load_groups(CONFIG / "dbt.yaml")
    assert config.canonical.name == "core_dbt_assets"
    assert [g.name for g in config.groups if g.canonical] == ["core_dbt_assets"]


@pytest.mark.parametrize("marked", [[], ["a", "b"]])
def test_a_config_without_exactly_one_canonical_group_is_refused(tmp_path, marked):
    groups = [{"name": n, **({"canonical": True} if n in marked else {})} for n in ("a", "b")]
    path = tmp_path / "dbt.yaml"
    path.write_text(yaml.safe_dump({"project": "kipptaf", "groups": groups}))
    with pytest.raises(SettingsError, match="exactly one group must be canonical"):
        load_groups(path)


def test_canonical_assets_picks_the_declared_group(groups):
    config = load_groups(CONFIG / "dbt.yaml")
    assert canonical_assets(config, list(groups.values())) is groups[config.canonical.name]
