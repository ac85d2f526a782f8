"""The ADP SFTP sensor: new pay dates become partitions; new or changed files are loaded.

One listing per evaluation. A general-ledger file whose pay date has no partition yet
is added as one; a file whose mtime or size differs from what its partition's last
materialization recorded (or that was never loaded) gets a run of that partition. The
roster file likewise triggers a run of ``workers``. Run keys are made of the file's
mtime and size, so a file is requested once per version even while its run is queued.
"""

import hashlib
from typing import Any

from dagster import (
    AssetKey,
    AssetRecordsFilter,
    DefaultSensorStatus,
    ResourceParam,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from teamster.core.ssh import RemoteFile
from teamster.libraries.adp.assets import (
    PAY_DATES,
    files_key,
    general_ledger_key,
    workers_key,
)
from teamster.libraries.adp.files import ADPFiles

INTERVAL_SECONDS = 15 * 60


def _last_source(
    context: SensorEvaluationContext, key: AssetKey, partition: str | None
) -> tuple[Any, Any] | None:
    """(mtime, size) recorded by the last materialization, or None if never loaded."""
    records = context.instance.fetch_materializations(
        AssetRecordsFilter(asset_key=key, asset_partitions=[partition] if partition else None),
        limit=1,
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    metadata = records[0].asset_materialization.metadata
    values = [metadata.get(name) for name in ("source/mtime", "source/size")]
    return tuple(None if v is None else v.value for v in values)


def _changed(seen: tuple[Any, Any] | None, file: RemoteFile) -> bool:
    return seen != (file.mtime, file.size)


def build_adp_sensor(location: str) -> SensorDefinition:
    ledger, files = general_ledger_key(location), files_key(location)
    workers = workers_key(location)

    @sensor(
        name=f"{location}__adp__sftp_files",
        asset_selection=[files, ledger, workers],
        minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.STOPPED,
        description="Lists ADP's SFTP folders: adds new pay dates as partitions, loads each "
        "new or changed general-ledger file into its pay date, and reloads the workers "
        "roster when its file changes.",
    )
    def _sensor(context: SensorEvaluationContext, adp_sftp: ResourceParam[ADPFiles]):
        listing = adp_sftp.listing()
        known = set(context.instance.get_dynamic_partitions(PAY_DATES.name))
        new = sorted(set(listing.general_ledger) - known)
        requests = [
            RunRequest(
                asset_selection=[ledger],
                partition_key=pay_date,
                run_key=f"gl:{pay_date}:{f.mtime}:{f.size}",
            )
            for pay_date, f in sorted(listing.general_ledger.items())
            if pay_date in new or _changed(_last_source(context, ledger, pay_date), f)
        ]
        plain = []
        if requests:  # the folder's table lists the files these runs load
            plain.append(files)
        roster = listing.roster
        if roster is not None and _changed(_last_source(context, workers, None), roster):
            plain.append(workers)
        if plain:
            stamp = ";".join(r.run_key or "" for r in requests)
            if roster is not None:
                stamp += f";roster:{roster.mtime}:{roster.size}"
            digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
            requests.append(RunRequest(asset_selection=plain, run_key=f"listing:{digest}"))
        if not requests:
            return SkipReason("every ADP file matches its last load")
        return SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[PAY_DATES.build_add_request(new)] if new else None,
        )

    return _sensor
