"""The ADP SFTP sensor: new pay dates become partitions; new or changed files are loaded.

One listing per evaluation. A general-ledger file whose pay date has no partition yet
is added as one; a file whose mtime or size differs from what its partition's last
materialization recorded (or that was never loaded) gets a run of that partition. The
roster file likewise triggers a run of ``workers``. Run keys are made of the file's
mtime and size, so a file is requested once per version even while its run is queued.
"""

import hashlib

from dagster import (
    DefaultSensorStatus,
    ResourceParam,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    sensor,
)

from teamster.core.changes import file_changed, last_metadata
from teamster.libraries.adp.assets import (
    PAY_DATES,
    files_key,
    general_ledger_key,
    workers_key,
)
from teamster.libraries.adp.files import ADPFiles

INTERVAL_SECONDS = 15 * 60


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
            if pay_date in new or file_changed(last_metadata(context.instance, ledger, pay_date), f)
        ]
        plain = []
        if requests:  # the folder's table lists the files these runs load
            plain.append(files)
        roster = listing.roster
        if roster is not None and file_changed(last_metadata(context.instance, workers), roster):
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
