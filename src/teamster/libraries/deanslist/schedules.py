"""The nightly DeansList reload of a region: this school year's partition, both endpoints.

Incidents change in place (status, closing, deletion) and behaviour entries can be
removed, so the year in progress is read again whole every night; earlier years are
reloaded only when someone asks (a backfill of their partitions).
"""

import datetime as dt

from dagster import (
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    define_asset_job,
    schedule,
)

from teamster.libraries.deanslist.assets import asset_key
from teamster.libraries.deanslist.config import DeansListConfig
from teamster.libraries.deanslist.schema import FIELDS

NIGHTLY_CRON = "0 3 * * *"


def fiscal_year_key(day: dt.date) -> str:
    """The fiscal-year partition key (July 1) of the year ``day`` falls in."""
    return f"{day.year if day.month >= 7 else day.year - 1}-07-01"


def build_deanslist_schedule(location: str, config: DeansListConfig) -> ScheduleDefinition:
    keys = [asset_key(location, endpoint) for endpoint in FIELDS]
    job = define_asset_job(f"{location}__deanslist__nightly_job", selection=keys)

    @schedule(
        name=f"{location}__deanslist__nightly",
        job=job,
        cron_schedule=NIGHTLY_CRON,
        execution_timezone=config.timezone,
        description=f"Reloads this school year of {location}'s DeansList incidents and "
        "behaviour, every school.",
    )
    def _schedule(context: ScheduleEvaluationContext) -> RunRequest:
        key = fiscal_year_key(context.scheduled_execution_time.date())
        return RunRequest(
            run_key=f"{key}:{context.scheduled_execution_time.isoformat()}", partition_key=key
        )

    return _schedule
