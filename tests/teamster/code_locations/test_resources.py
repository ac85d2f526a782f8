"""The clients are Dagster resources Dagster can see: typed, configured, and secret-free.

A ``ConfigurableResource``'s config is what Dagster's UI shows for it, so it must say
what the client connects to (hosts, ports, folders, URLs, and the paths of secret files)
and must never hold a secret itself.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from dagster import ConfigurableResource, Definitions

from teamster.core.locations import load_definitions

# the clients each location wires (the io_manager stays a plain IO manager)
CLIENTS = {
    "kippnewark": {
        "powerschool_sis",
        "deanslist",
        "iready",
        "powerschool_autocomm",
        "dbt",
        "warehouse",
    },
    "kipppaterson": {"powerschool_sis", "deanslist", "iready", "dbt", "warehouse"},
    "kipptaf": {
        "warehouse",
        "powerschool_enrollment",
        "adp_sftp",
        "adp_workforce_now",
        "google_sheets",
        "tableau",
        "dbt",
    },
}


def _reported(defs: Definitions, key: str) -> str:
    """The resource's config as Dagster reports it (its schema's configured values) and
    as the resource dumps it, as one text to search."""
    definition = defs.get_repository_def().get_top_level_resources()[key]
    shown = definition.config_schema.as_field().default_value
    resource = defs.resources[key]
    dumped = resource.model_dump(exclude={"warehouse"})  # a dependency, not config
    return json.dumps([shown, dumped], default=str)


def _secrets(sandbox: Any) -> set[str]:
    """Every secret the sandbox issued: each file whole, line by line, and, for a JSON
    object (the DeansList keys), each value; short fragments would match by chance."""
    found: set[str] = set()
    for path in Path(sandbox.secrets_dir).rglob("*"):
        if not path.is_file():
            continue
        text = path.read_text(errors="replace")
        found.add(text.strip())
        found.update(line.strip() for line in text.splitlines())
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            found.update(str(v) for v in parsed.values())
    return {s for s in found if len(s) >= 8}


@pytest.mark.parametrize("location", sorted(CLIENTS))
def test_clients_are_configurable_resources_without_secrets(location, settings, sandbox):
    defs = load_definitions(location)
    assert CLIENTS[location] <= set(defs.resources)
    secrets = _secrets(sandbox)
    assert secrets  # the sandbox issued some, or this test proves nothing
    for key in CLIENTS[location]:
        resource = defs.resources[key]
        assert isinstance(resource, ConfigurableResource), key
        reported = _reported(defs, key)
        leaked = [s for s in secrets if s in reported]
        assert not leaked, f"{location} {key}: a secret value is in its config"


def test_config_shows_what_each_client_connects_to(settings, sandbox):
    newark = load_definitions("kippnewark")
    deanslist = json.loads(_reported(newark, "deanslist"))[0]["settings"]
    assert deanslist["base_url"] == settings.deanslist.base_url
    assert deanslist["keys_file"] == settings.deanslist.keys_file  # the path, not the keys
    iready = json.loads(_reported(newark, "iready"))[0]
    drop = settings.iready_sftp["kippnewark"]
    assert iready["settings"]["ssh"]["host"] == drop.ssh.host
    assert iready["settings"]["ssh"]["port"] == drop.ssh.port
    assert iready["settings"]["remote_dir"] == drop.remote_dir
    assert iready["config_file"].endswith("iready.yaml")
    sis = json.loads(_reported(newark, "powerschool_sis"))[0]["settings"]
    assert sis["url"] == settings.sis_databases["kippnewark"].url
    assert sis["ssh"]["port"] == settings.sis_databases["kippnewark"].ssh.port

    paterson = load_definitions("kipppaterson")
    drops = json.loads(_reported(paterson, "powerschool_sis"))[0]["settings"]
    assert drops["remote_dir"] == settings.sis_sftp["kipppaterson"].remote_dir

    taf = load_definitions("kipptaf")
    adp = json.loads(_reported(taf, "adp_sftp"))[0]
    assert adp["settings"]["ssh"]["host"] == settings.adp_sftp.ssh.host
    assert adp["settings"]["payroll_dir"] == settings.adp_sftp.payroll_dir
    wfn = json.loads(_reported(taf, "adp_workforce_now"))[0]["settings"]
    assert wfn["token_url"] == settings.adp_workforce_now.token_url
    enrollment = json.loads(_reported(taf, "powerschool_enrollment"))[0]["settings"]
    assert enrollment["base_url"] == settings.enrollment.base_url


def test_sensors_still_report_their_resource_keys(settings):
    """``catch_up`` builds a sensor's resources from ``required_resource_keys``; typed
    parameters must still show up there."""
    repo = load_definitions("kippnewark").get_repository_def()
    sensors = {s.name: s for s in repo.sensor_defs}
    assert sensors["kippnewark__iready__changes"].required_resource_keys == {"iready"}
    assert sensors["kippnewark__powerschool_sis__changes"].required_resource_keys == {
        "powerschool_sis"
    }
    paterson = load_definitions("kipppaterson")
    drops = json.loads(_reported(paterson, "powerschool_sis"))[0]["settings"]
    assert drops["remote_dir"] == settings.sis_sftp["kipppaterson"].remote_dir

    taf = load_definitions("kipptaf").get_repository_def()
    assert {"powerschool_enrollment"} <= {
        k for s in taf.schedule_defs for k in s.required_resource_keys
    }
