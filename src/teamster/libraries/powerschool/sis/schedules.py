"""The SIS's nightly schedule: tables PowerSchool gives no change stamp are reloaded whole
every night, since no probe can tell they moved."""

from dagster import (
    ScheduleDefinition,
    define_asset_job,
)

from teamster.libraries.powerschool.sis.assets import table_key
from teamster.libraries.powerschool.sis.config import SISConfig

NIGHTLY_CRON = "0 2 * * *"


def build_sis_nightly_schedule(location: str, config: SISConfig) -> ScheduleDefinition | None:
    """Reload, every night, the tables that have no cursor to probe."""
    keys = [
        table_key(location, t) for t in config.tables if t.cursor is None and config.path == "sql"
    ]
    if not keys:
        return None
    return ScheduleDefinition(
        name=f"{location}__powerschool_sis__nightly",
        job=define_asset_job(f"{location}__powerschool_sis__nightly_job", selection=keys),
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=config.timezone,
        description="Full reload of SIS tables that have no cursor column.",
    )
