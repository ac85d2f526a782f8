"""ADP's sensor: new or changed payroll files.

The payroll sensor lists the folder once per evaluation. A pay date whose files (names,
mtimes, sizes: a group's file added later counts) differ from what its partition's last
load recorded gets a run; run keys are made of those files, so a pay date is requested
once per version even while its run is queued. A pay date with no partition yet gets
none here: the sensor asks for the folder's listing, whose load is the one place pay
dates become partitions, and the ledger's ``on_missing`` automation loads each new one.
"""

import hashlib

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SkipReason,
    sensor,
)

from teamster.core.changes import last_metadata
from teamster.libraries.adp.assets import PAY_DATES, files_key, general_ledger_key
from teamster.libraries.adp.resources import ADPFiles
from teamster.libraries.adp.schema import files_fingerprint

INTERVAL_SECONDS = 15 * 60


def build_adp_sensor(location: str) -> SensorDefinition:
    ledger, files = general_ledger_key(location), files_key(location)

    @sensor(
        name=f"{location}__adp__sftp_files",
        asset_selection=[files, ledger],
        minimum_interval_seconds=INTERVAL_SECONDS,
        default_status=DefaultSensorStatus.STOPPED,
        description="Lists ADP's payroll SFTP folder: reloads each pay date whose "
        "general-ledger files changed, and relists the folder when a pay date is new (its "
        "listing adds the partition, which automation then loads).",
    )
    def _sensor(context: SensorEvaluationContext, adp_sftp: ADPFiles):
        listing = adp_sftp.listing()
        known = set(context.instance.get_dynamic_partitions(PAY_DATES.name))
        new = sorted(set(listing) - known)
        requests = []
        for pay_date, gls in listing.items():
            if pay_date in new:
                continue  # no partition yet: the listing below adds it
            stamp = files_fingerprint([gl.file for gl in gls])
            last = last_metadata(context.instance, ledger, pay_date) or {}
            if last.get("source/files") != stamp:
                digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
                requests.append(
                    RunRequest(
                        asset_selection=[ledger],
                        partition_key=pay_date,
                        run_key=f"gl:{pay_date}:{digest}",
                    )
                )
        if not requests and not new:
            return SkipReason("every ADP payroll file matches its last load")
        # the folder's table lists the files these runs load, and adds the new pay dates
        keys = [r.run_key or "" for r in requests] + [f"new:{d}" for d in new]
        digest = hashlib.sha256(";".join(keys).encode()).hexdigest()[:16]
        requests.append(RunRequest(asset_selection=[files], run_key=f"listing:{digest}"))
        return requests

    return _sensor
