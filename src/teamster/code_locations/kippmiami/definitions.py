"""kippmiami: PowerSchool SIS ingestion and the regional dbt project."""

from pathlib import Path

from dagster import Definitions

from teamster.core.resources import shared_resources
from teamster.core.settings import current
from teamster.libraries.dbt.assets import build_dbt_assets, dbt_resource
from teamster.libraries.powerschool.sis.assets import build_sis_assets
from teamster.libraries.powerschool.sis.config import load_sis_config, sis_resource
from teamster.libraries.powerschool.sis.sensors import (
    build_sis_change_sensor,
    build_sis_nightly_schedule,
)

LOCATION = "kippmiami"
CONFIG = Path(__file__).parent / "config"

settings = current()
sis = load_sis_config(CONFIG / "powerschool.yaml")

defs = Definitions(
    assets=[
        *build_sis_assets(LOCATION, sis),
        build_dbt_assets(LOCATION, settings),
    ],
    sensors=[build_sis_change_sensor(LOCATION, sis)],
    schedules=[s for s in [build_sis_nightly_schedule(LOCATION, sis)] if s],
    resources={
        **shared_resources(settings),
        "powerschool_sis": sis_resource(LOCATION, sis, settings),
        "dbt": dbt_resource(LOCATION, settings),
    },
)
