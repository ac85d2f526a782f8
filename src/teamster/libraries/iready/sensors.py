"""The i-Ready change sensor: a run for each subject file that is new or changed.

Lists the region's SFTP folder (one small request) and compares each file's mtime and
size with what its partition's last materialization recorded. The run key is the
file's identity (subject, mtime, size), so a file that failed validation is not
retried every tick; it is requested again once i-Ready replaces it.
"""

from typing import Any

from dagster import (
    AssetRecordsFilter,
    DefaultSensorStatus,
    ResourceParam,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from teamster.libraries.iready.assets import asset_key

INTERVAL_SECONDS = 60 * 60


def _last_source(context: SensorEvaluationContext, location: str, subject: str) -> tuple | None:
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=asset_key(location), asset_partitions=[subject]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    metadata = records[0].asset_materialization.metadata
    return tuple(
        metadata[k].value if k in metadata else None for k in ("source/mtime", "source/size")
    )


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
    def _sensor(context: SensorEvaluationContext, iready: ResourceParam[Any]):
        requests = [
            RunRequest(
                partition_key=subject,
                asset_selection=[key],
                run_key=f"{subject}:{f.mtime}:{f.size}",
            )
            for subject, f in sorted(iready.files().items())
            if _last_source(context, location, subject) != (f.mtime, f.size)
        ]
        return requests or SkipReason("no i-Ready file changed since its last load")

    return _sensor
