"""The shape every regional code location shares; each region differs only in config.

A region ingests PowerSchool SIS (SQL through the tunnel, or SFTP drops, as the registry
``locations.yaml`` says), DeansList and i-Ready, builds its dbt project, and, when the
registry says so, pushes the AutoComm files its ``autocomm.yaml`` lists to its PowerSchool.
"""

from pathlib import Path

from dagster import Definitions

from teamster.core.automation import automation_sensor
from teamster.core.executor import executor_for
from teamster.core.loading import definitions_load
from teamster.core.regions import REGISTRY
from teamster.core.resources import shared_resources
from teamster.core.settings import SettingsError, current
from teamster.libraries.dbt.assets import build_dbt_assets, exposure_specs
from teamster.libraries.dbt.resources import dbt_resource
from teamster.libraries.deanslist.assets import build_deanslist_assets
from teamster.libraries.deanslist.config import load_deanslist_config
from teamster.libraries.deanslist.resources import DeansListAPI
from teamster.libraries.deanslist.schedules import build_deanslist_schedule
from teamster.libraries.iready.assets import build_iready_assets
from teamster.libraries.iready.resources import iready_resource
from teamster.libraries.iready.sensors import build_iready_sensor
from teamster.libraries.powerschool.autocomm.assets import (
    build_autocomm_asset,
    load_autocomm_config,
)
from teamster.libraries.powerschool.autocomm.resources import AutoCommInbox
from teamster.libraries.powerschool.sis.assets import build_sis_assets
from teamster.libraries.powerschool.sis.config import load_sis_config, sis_resource
from teamster.libraries.powerschool.sis.schedules import build_sis_nightly_schedule
from teamster.libraries.powerschool.sis.sensors import build_sis_change_sensor


@definitions_load()  # the dbt manifest is large: see teamster.core.loading
def build_regional_definitions(location: str, config: Path) -> Definitions:
    settings = current()
    region = REGISTRY.region(location)
    sis = load_sis_config(config / "powerschool.yaml", region)
    deanslist = load_deanslist_config(config / "deanslist.yaml", region.timezone)
    dbt = build_dbt_assets(location, settings)
    assets = [
        *build_sis_assets(location, sis),
        *build_deanslist_assets(location, deanslist),
        *build_iready_assets(location),
        dbt,
    ]
    resources = {
        **shared_resources(settings),
        "powerschool_sis": sis_resource(location, sis, settings),
        "deanslist": DeansListAPI(settings=settings.deanslist),
        "iready": iready_resource(location, settings, config / "iready.yaml"),
        "dbt": dbt_resource(location, settings),
    }
    if (config / "autocomm.yaml").exists() != region.autocomm:
        raise SettingsError(
            f"{location}: locations.yaml says autocomm: {str(region.autocomm).lower()}, "
            f"but {config / 'autocomm.yaml'} {'is missing' if region.autocomm else 'exists'}"
        )
    if region.autocomm:
        exposures = exposure_specs(dbt, location)
        autocomm = load_autocomm_config(config / "autocomm.yaml")
        assets.append(build_autocomm_asset(location, autocomm, exposures))
        resources["powerschool_autocomm"] = AutoCommInbox(settings=settings.autocomm[location])
    schedules = [
        build_sis_nightly_schedule(location, sis),
        build_deanslist_schedule(location, deanslist),
    ]
    return Definitions(
        assets=assets,
        sensors=[
            build_sis_change_sensor(location, sis),
            build_iready_sensor(location),
            automation_sensor(location),
        ],
        schedules=[s for s in schedules if s],
        resources=resources,
        executor=executor_for(settings),
    )
