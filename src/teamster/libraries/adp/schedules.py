"""ADP Workforce Now's schedule: the workers reloaded every morning (the API has no change
feed we read)."""

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    define_asset_job,
    schedule,
)

from teamster.libraries.adp.assets import workers_key

WORKERS_CRON = "0 4 * * *"


def build_workers_schedule(location: str, timezone: str) -> ScheduleDefinition:
    job = define_asset_job(f"{location}__adp__workers_job", selection=[workers_key(location)])

    @schedule(
        name=f"{location}__adp__workers_daily",
        cron_schedule=WORKERS_CRON,
        execution_timezone=timezone,
        job=job,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Reloads ADP Workforce Now's workers every morning (the API has no "
        "change feed we read).",
    )
    def _schedule(context):
        return RunRequest(run_key=context.scheduled_execution_time.isoformat())

    return _schedule
