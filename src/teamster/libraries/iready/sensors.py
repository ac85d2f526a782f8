"""The i-Ready change sensor: a run for each subject file that is new or changed.

Lists the region's SFTP folder (one small request) and compares each file's mtime and
size with what its partition's last materialization recorded. The run key is the
file's identity (name, mtime, size), so a file that failed validation is not retried
every tick; it is requested again once i-Ready replaces it (or renames it, say with
``_CONFIDENTIAL``).
"""

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from teamster.core.changes import file_changed, last_metadata
from teamster.libraries.iready.assets import asset_key
from teamster.libraries.iready.resources import IReadySFTP

INTERVAL_SECONDS = 60 * 60


def build_iready_sensor(location: str) -> SensorDefinition:
    key = asset_key(location)

    @sensor(
        name=f"{location}__iready__changes",
        asset_selection=[key],
        minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.STOPPED,
        description=f"Lists {location}'s i-Ready SFTP folder and loads each subject file "
        "whose mtime or size differs from its last load.",
    )
    def _sensor(context: SensorEvaluationContext, iready: IReadySFTP):
        requests = [
            RunRequest(
                partition_key=subject,
                asset_selection=[key],
                run_key=f"{f.path.rsplit('/', 1)[-1]}:{f.mtime}:{f.size}",
            )
            for subject, f in sorted(iready.files().items())
            if file_changed(last_metadata(context.instance, key, subject), f)
        ]
        return requests or SkipReason("no i-Ready file changed since its last load")

    return _sensor
