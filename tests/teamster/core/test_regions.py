"""The registry of code locations: what it refuses, and that what is derived from it
(packages, dbt projects, workspace.yaml, settings, the sandbox) agrees with it."""

import re
from pathlib import Path

import pytest
import yaml

from support import REPO
from teamster.core.regions import (
    AUTOCOMM_REGIONS,
    LOCATIONS,
    REGISTRY,
    REGISTRY_FILE,
    RegistryError,
    load_registry,
)
from teamster.core.settings import load_settings

GOOD = yaml.safe_load(REGISTRY_FILE.read_text())


def _write(tmp_path: Path, data: dict) -> Path:
    path = tmp_path / "locations.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def _edited(edit) -> dict:
    data = yaml.safe_load(REGISTRY_FILE.read_text())
    edit(data)
    return data


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda d: d["regions"][0].update(timezone="Mars/Olympus"), "not an IANA time zone"),
        (lambda d: d["regions"][1].update(name=d["regions"][0]["name"]), "location name"),
        (lambda d: d["regions"][1]["schools"][0].update(number=101), r"school number.*\[101\]"),
        (lambda d: d["regions"][0].update(name="kipp-nola"), "lower-case letters"),
        (lambda d: d["regions"][0].update(sis="odbc"), "'sql' or 'sftp'"),
        (lambda d: d["regions"][0]["schools"][0].update(high_grade=13), "up to 12"),
        (lambda d: d["regions"][0].update(schools=[]), "lists no schools"),
        (lambda d: d["regions"][0].update(colour="blue"), "colour"),
    ],
)
def test_a_bad_registry_is_refused_naming_the_file(tmp_path, edit, message):
    path = _write(tmp_path, _edited(edit))
    with pytest.raises(RegistryError, match=message) as info:
        load_registry(path)
    assert str(path) in str(info.value)


def test_an_unreadable_registry_names_the_file(tmp_path):
    path = tmp_path / "locations.yaml"
    path.write_text("regions: [\n")
    with pytest.raises(RegistryError, match="cannot read") as info:
        load_registry(path)
    assert str(path) in str(info.value)


def test_the_shipped_registry_is_the_one_loaded():
    assert load_registry(REGISTRY_FILE) == REGISTRY
    assert (GOOD["network"]["name"], *(r["name"] for r in GOOD["regions"])) == LOCATIONS


def test_every_location_has_its_package_dbt_project_and_workspace_entry():
    code_locations = REPO / "src" / "teamster" / "code_locations"
    packages = {p.name for p in code_locations.iterdir() if (p / "definitions.py").exists()}
    assert packages == set(LOCATIONS)
    for location in LOCATIONS:
        assert (REPO / "src" / "dbt" / location / "dbt_project.yml").exists(), location
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text())
    listed = [e["python_module"]["location_name"] for e in workspace["load_from"]]
    assert listed == list(LOCATIONS)
    for region in REGISTRY.regions:
        config = code_locations / region.name / "config"
        assert (config / "autocomm.yaml").exists() == region.autocomm, region.name


def test_settings_and_the_sandbox_follow_the_registry(tmp_path):
    from sandbox.generator import World

    local = load_settings({"TEAMSTER_DATA_DIR": str(tmp_path)})
    assert set(local.sis_databases) == {r.name for r in REGISTRY.regions if r.sis == "sql"}
    assert set(local.sis_sftp) == {r.name for r in REGISTRY.regions if r.sis == "sftp"}
    assert set(local.autocomm) == set(AUTOCOMM_REGIONS)
    assert set(local.iready_sftp) == set(REGISTRY.region_names)
    world = World(7, 0.01)
    for region in REGISTRY.regions:
        schools = [
            s for s in world.regions[region.name].schools if s["name"] != "Graduated Students"
        ]
        assert [
            (s["school_number"], s["name"], s["low_grade"], s["high_grade"]) for s in schools
        ] == [(s.number, s.name, s.low_grade, s.high_grade) for s in region.schools]
        assert all(s["schoolcity"] == region.city for s in schools)


def test_no_config_file_repeats_what_the_registry_decides():
    """A region's SIS path and time zone are set in one place."""
    for path in (REPO / "src" / "teamster" / "code_locations").glob("*/config/*.yaml"):
        text = path.read_text()
        assert not re.search(r"^\s+(timezone|path):", text, re.M), path


def test_the_files_tools_read_name_every_region():
    """What dbt and `dagster dev` read as files (kipptaf's region list, sources and
    accepted values, the dbt profiles, the ADP crosswalk's payroll groups,
    workspace.yaml) names exactly the registry's locations: `teamster new-region`
    writes them, and this notices a hand edit that forgets one."""
    from teamster.scaffold import drift

    assert drift(REPO) == []
