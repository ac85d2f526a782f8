"""The daily Enrollment check: reload only the actions whose record count moved."""

from typing import Any

from dagster import (
    DefaultScheduleStatus,
    ResourceParam,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from teamster.core.changes import last_metadata
from teamster.libraries.powerschool.enrollment.assets import ACTIONS, RECORDS_KEY

DAILY_CRON = "0 5 * * *"


def _loaded_count(context: ScheduleEvaluationContext, partition: str) -> int | None:
    value = (last_metadata(context.instance, RECORDS_KEY, partition) or {}).get("dagster/row_count")
    return None if value is None else int(value)


def build_enrollment_schedule(timezone: str) -> ScheduleDefinition:
    job = define_asset_job("powerschool_enrollment__records_job", selection=[RECORDS_KEY])

    @schedule(
        name="powerschool_enrollment__daily",
        cron_schedule=DAILY_CRON,
        execution_timezone=timezone,
        job=job,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Compares each published action's record count with its last load and "
        "requests only the actions that differ (new actions included).",
    )
    def _schedule(context: ScheduleEvaluationContext, powerschool_enrollment: ResourceParam[Any]):
        with powerschool_enrollment.connect() as api:
            ids = [str(a["id"]) for a in api.published_actions()]
            known = set(context.instance.get_dynamic_partitions(ACTIONS.name))
            if new := [i for i in ids if i not in known]:
                context.instance.add_dynamic_partitions(ACTIONS.name, new)
            counts = {i: api.record_count(int(i)) for i in ids}
        stamp = context.scheduled_execution_time.isoformat()
        requests = [
            RunRequest(partition_key=i, run_key=f"{stamp}:{i}:{n}")
            for i, n in counts.items()
            if _loaded_count(context, i) != n
        ]
        return requests or SkipReason("every action's record count matches its last load")

    return _schedule
