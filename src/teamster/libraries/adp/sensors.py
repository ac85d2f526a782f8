"""ADP's sensor and schedule: new or changed payroll files, and a daily workers reload.

The payroll sensor lists the folder once per evaluation. A pay date with no partition
yet is added as one; a pay date whose files (names, mtimes, sizes: a group's file added
later counts) differ from what its partition's last load recorded gets a run. Run keys
are made of those files, so a pay date is requested once per version even while its run
is queued. Workforce Now has no file to watch: the schedule reloads the workers daily.
"""

import hashlib

from dagster import (
    DefaultSensorStatus,
    RunRequest,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
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
        description="Lists ADP's payroll SFTP folder: adds new pay dates as partitions and "
        "loads each pay date whose general-ledger files are new or changed.",
    )
    def _sensor(context: SensorEvaluationContext, adp_sftp: ADPFiles):
        listing = adp_sftp.listing()
        known = set(context.instance.get_dynamic_partitions(PAY_DATES.name))
        new = sorted(set(listing) - known)
        requests = []
        for pay_date, gls in listing.items():
            stamp = files_fingerprint([gl.file for gl in gls])
            last = last_metadata(context.instance, ledger, pay_date) or {}
            if pay_date in new or last.get("source/files") != stamp:
                digest = hashlib.sha256(stamp.encode()).hexdigest()[:16]
                requests.append(
                    RunRequest(
                        asset_selection=[ledger],
                        partition_key=pay_date,
                        run_key=f"gl:{pay_date}:{digest}",
                    )
                )
        if not requests:
            return SkipReason("every ADP payroll file matches its last load")
        # the folder's table lists the files these runs load
        digest = hashlib.sha256(";".join(r.run_key or "" for r in requests).encode())
        requests.append(
            RunRequest(asset_selection=[files], run_key=f"listing:{digest.hexdigest()[:16]}")
        )
        return SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[PAY_DATES.build_add_request(new)] if new else None,
        )

    return _sensor
