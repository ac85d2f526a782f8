"""The daily Enrollment check: which published actions to load again.

A record changes in place (a family starts, then submits) without the action's record
count moving, so the count alone misses most changes. The schedule therefore reloads
every action whose form is for this school year or a later one (``academicYear``
"2027-2028" starts in the fall of 2027), and an older action only when its record count
differs from its last load. An ``academicYear`` that does not read as a year is treated
as current (reloaded): loading too often is cheap, missing submissions is not.

An action with no partition yet is not requested here: the schedule asks for the
published actions' listing, whose load is the one place actions become partitions, and
the records' ``on_missing`` automation loads each new one.
"""

import re
from typing import Any

from dagster import (
    DefaultScheduleStatus,
    RunRequest,
    ScheduleDefinition,
    ScheduleEvaluationContext,
    SkipReason,
    define_asset_job,
    schedule,
)

from teamster.core.changes import last_metadata
from teamster.libraries.powerschool.enrollment.assets import ACTIONS, ACTIONS_KEY, RECORDS_KEY
from teamster.libraries.powerschool.enrollment.resources import EnrollmentAPI

DAILY_CRON = "0 5 * * *"
_YEAR = re.compile(r"\s*([0-9]{4})")


def first_year(academic_year: Any) -> int | None:
    """2027 for "2027-2028"; None when the text does not start with a year."""
    match = _YEAR.match(academic_year) if isinstance(academic_year, str) else None
    return int(match[1]) if match else None


def is_open(academic_year: Any, current_fall_year: int) -> bool:
    """Whether an action's form is for the school year in session or a later one."""
    year = first_year(academic_year)
    return year is None or year >= current_fall_year


def _loaded_count(context: ScheduleEvaluationContext, partition: str) -> int | None:
    value = (last_metadata(context.instance, RECORDS_KEY, partition) or {}).get("dagster/row_count")
    return None if value is None else int(value)


def build_enrollment_schedule(timezone: str) -> ScheduleDefinition:
    job = define_asset_job(
        "powerschool_enrollment__records_job", selection=[ACTIONS_KEY, RECORDS_KEY]
    )

    @schedule(
        name="powerschool_enrollment__daily",
        cron_schedule=DAILY_CRON,
        execution_timezone=timezone,
        job=job,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Reloads every published action whose form is for this school year or "
        "a later one, and an older action only when its record count differs from its "
        "last load; relists the actions when one is new (automation then loads it).",
    )
    def _schedule(context: ScheduleEvaluationContext, powerschool_enrollment: EnrollmentAPI):
        today = context.scheduled_execution_time.date()
        fall = today.year if today.month >= 7 else today.year - 1
        with powerschool_enrollment.connect() as api:
            actions = {str(a["id"]): a.get("academicYear") for a in api.published_actions()}
            known = set(context.instance.get_dynamic_partitions(ACTIONS.name))
            new = [a for a in actions if a not in known]
            wanted = {}
            for action, year in actions.items():
                if action in new:
                    continue  # no partition yet: the listing below adds it
                if is_open(year, fall):
                    wanted[action] = "open"
                elif (n := api.record_count(int(action))) != _loaded_count(context, action):
                    wanted[action] = f"{n} records"
        stamp = context.scheduled_execution_time.isoformat()
        requests = [
            RunRequest(asset_selection=[RECORDS_KEY], partition_key=a, run_key=f"{stamp}:{a}:{why}")
            for a, why in wanted.items()
        ]
        if new:
            requests.append(
                RunRequest(asset_selection=[ACTIONS_KEY], run_key=f"{stamp}:new:{','.join(new)}")
            )
        return requests or SkipReason("every past action's record count matches its last load")

    return _schedule
