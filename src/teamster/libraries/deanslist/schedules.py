"""The nightly DeansList reload of a region (both endpoints, every school).

Incidents change in place (status, ``UpdateTS``) and the two tables are small, so a
whole reload every night is both simpler and safer than probing for changes.
"""

from dagster import ScheduleDefinition, define_asset_job

from teamster.libraries.deanslist.assets import COLUMNS, asset_key
from teamster.libraries.deanslist.config import DeansListConfig

NIGHTLY_CRON = "0 3 * * *"


def build_deanslist_schedule(location: str, config: DeansListConfig) -> ScheduleDefinition:
    keys = [asset_key(location, endpoint) for endpoint in COLUMNS]
    return ScheduleDefinition(
        name=f"{location}__deanslist__nightly",
        job=define_asset_job(f"{location}__deanslist__nightly_job", selection=keys),
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=config.timezone,
        description=f"Reloads {location}'s DeansList incidents and behaviour, every school.",
    )
