"""kipptaf: the network homebase, built on every region's dbt models, plus the
network-wide PowerSchool Enrollment API, ADP payroll files and Workforce Now workers, and
Google Sheets."""

from pathlib import Path

from dagster import Definitions

from teamster.core.automation import automation_sensor
from teamster.core.executor import executor_for
from teamster.core.loading import definitions_load
from teamster.core.regions import REGISTRY
from teamster.core.resources import shared_resources
from teamster.core.settings import current
from teamster.libraries.adp.assets import build_adp_assets
from teamster.libraries.adp.config import load_adp_config
from teamster.libraries.adp.resources import ADPFiles, WorkforceNowAPI
from teamster.libraries.adp.schedules import build_workers_schedule
from teamster.libraries.adp.sensors import build_adp_sensor
from teamster.libraries.dbt.assets import build_group_assets, canonical_assets
from teamster.libraries.dbt.config import load_groups
from teamster.libraries.dbt.resources import dbt_resource
from teamster.libraries.google_sheets.assets import build_google_sheet_assets
from teamster.libraries.google_sheets.config import load_sheets_config
from teamster.libraries.google_sheets.resources import GoogleSheets
from teamster.libraries.google_sheets.schedules import build_google_sheets_schedule
from teamster.libraries.powerschool.enrollment.assets import build_enrollment_assets
from teamster.libraries.powerschool.enrollment.resources import EnrollmentAPI
from teamster.libraries.powerschool.enrollment.schedules import build_enrollment_schedule
from teamster.libraries.tableau.assets import build_workbook_assets, load_tableau_config
from teamster.libraries.tableau.resources import tableau_resource

LOCATION = REGISTRY.network.name
TIMEZONE = REGISTRY.network.timezone
CONFIG = Path(__file__).parent / "config"
ADP_CONFIG = CONFIG / "adp.yaml"

# the dbt manifest is large: see teamster.core.loading
with definitions_load():
    settings = current()
    sheets = load_sheets_config(CONFIG / "google_sheets.yaml")
    load_adp_config(ADP_CONFIG)  # a broken crosswalk fails the load, not a run
    dbt_config = load_groups(CONFIG / "dbt.yaml")
    dbt_groups = build_group_assets(dbt_config, settings)
    # workbooks resolve the models they read through the canonical group's manifest
    workbooks = build_workbook_assets(
        LOCATION,
        load_tableau_config(CONFIG / "tableau.yaml"),
        canonical_assets(dbt_config, dbt_groups),
    )

    defs = Definitions(
        assets=[
            *build_enrollment_assets(),
            *build_adp_assets(LOCATION),
            *build_google_sheet_assets(LOCATION, sheets),
            *dbt_groups,
            *workbooks,
        ],
        schedules=[
            build_enrollment_schedule(TIMEZONE),
            build_google_sheets_schedule(LOCATION, sheets, TIMEZONE),
            build_workers_schedule(LOCATION, TIMEZONE),
        ],
        sensors=[build_adp_sensor(LOCATION), automation_sensor(LOCATION)],
        resources={
            **shared_resources(settings),
            "powerschool_enrollment": EnrollmentAPI(settings=settings.enrollment),
            "adp_sftp": ADPFiles(settings=settings.adp_sftp, config_file=str(ADP_CONFIG)),
            "adp_workforce_now": WorkforceNowAPI(
                settings=settings.adp_workforce_now, config_file=str(ADP_CONFIG)
            ),
            "google_sheets": GoogleSheets(settings=settings.google_sheets),
            "dbt": dbt_resource(LOCATION, settings),
            "tableau": tableau_resource(settings),
        },
        executor=executor_for(settings),
    )
