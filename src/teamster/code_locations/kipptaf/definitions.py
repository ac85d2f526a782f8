"""kipptaf: the network homebase, built on every region's dbt models, plus the
network-wide PowerSchool Enrollment API."""

from dagster import Definitions

from teamster.core.resources import shared_resources
from teamster.core.settings import current
from teamster.libraries.dbt.assets import build_dbt_assets, dbt_resource
from teamster.libraries.powerschool.enrollment.assets import build_enrollment_assets
from teamster.libraries.powerschool.enrollment.client import EnrollmentAPI
from teamster.libraries.powerschool.enrollment.schedules import build_enrollment_schedule

LOCATION = "kipptaf"
TIMEZONE = "America/New_York"

settings = current()

defs = Definitions(
    assets=[*build_enrollment_assets(), build_dbt_assets(LOCATION, settings)],
    schedules=[build_enrollment_schedule(TIMEZONE)],
    resources={
        **shared_resources(settings),
        "powerschool_enrollment": EnrollmentAPI(settings.enrollment),
        "dbt": dbt_resource(LOCATION, settings),
    },
)
