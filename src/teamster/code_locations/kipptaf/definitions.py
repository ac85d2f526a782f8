"""kipptaf: the network homebase, built on every region's dbt models."""

from dagster import Definitions

from teamster.core.resources import shared_resources
from teamster.core.settings import current
from teamster.libraries.dbt.assets import build_dbt_assets, dbt_resource

LOCATION = "kipptaf"

settings = current()

defs = Definitions(
    assets=[build_dbt_assets(LOCATION, settings)],
    resources={**shared_resources(settings), "dbt": dbt_resource(LOCATION, settings)},
)
