"""Google Sheets' schedule: every declared tab reloaded each working hour (the export has
no change feed)."""

from dagster import (
    DefaultScheduleStatus,
    ScheduleDefinition,
    define_asset_job,
)

from teamster.libraries.google_sheets.assets import sheet_key
from teamster.libraries.google_sheets.config import GoogleSheetsConfig

SCHEDULE_CRON = "0 6-18 * * 1-5"  # each working hour


def build_google_sheets_schedule(
    location: str, config: GoogleSheetsConfig, timezone: str
) -> ScheduleDefinition:
    keys = [sheet_key(location, s) for s in config.sheets]
    return ScheduleDefinition(
        name=f"{location}__google_sheets__hourly",
        job=define_asset_job(f"{location}__google_sheets__job", selection=keys),
        cron_schedule=SCHEDULE_CRON,
        execution_timezone=timezone,
        default_status=DefaultScheduleStatus.STOPPED,
        description="Reloads every declared Google Sheet tab each working hour.",
    )
