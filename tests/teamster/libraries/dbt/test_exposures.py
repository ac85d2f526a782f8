"""A region's dbt exposures as asset specs, from the manifest its dbt assets hold."""

from pathlib import Path

import pytest
from dagster import AssetKey

from teamster.core.settings import Settings
from teamster.libraries.dbt.assets import build_dbt_assets, exposure_specs


def test_exposures_come_from_the_dbt_assets_manifest_without_reading_it_again(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    dbt = build_dbt_assets("kippnewark", settings)

    def no_reading(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("exposure_specs read a file")

    monkeypatch.setattr(Path, "read_text", no_reading)
    monkeypatch.setattr(Path, "read_bytes", no_reading)
    specs = exposure_specs(dbt, "kippnewark")
    monkeypatch.undo()

    spec = specs["powerschool_autocomm"]
    assert spec.key == AssetKey(["kippnewark", "powerschool_autocomm"])
    assert spec.group_name == "exposures"
    deps = {d.asset_key for d in spec.deps}
    # the exposure reads the region's wrappers, which its dbt assets build
    assert deps and deps <= dbt.keys
    assert AssetKey(["kippnewark", "extracts", "rpt_powerschool__autocomm_students"]) in deps


def test_a_region_without_exposures_has_none(settings: Settings) -> None:
    assert exposure_specs(build_dbt_assets("kipppaterson", settings), "kipppaterson") == {}
