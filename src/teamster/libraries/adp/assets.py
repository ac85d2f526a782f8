"""ADP assets: the payroll general ledger (one partition per pay date) and the workers.

``general_ledger_files`` lists the payroll folder into a table and adds each pay date it
finds as a dynamic partition (``adp_payroll_pay_dates``): the one place pay dates become
partitions. The general ledger is loaded one pay date at a time (a new one by its
``on_missing`` automation condition, a changed one by the sensor): a pay date's files
(one per payroll group) land in ``pay_date=<key>/`` and replace exactly that pay
date's rows. ``workers`` reads Workforce
Now's workers API and replaces the table whole: one row per work assignment, current
and former staff.
"""

import datetime as dt

import pyarrow as pa
import pyarrow.compute as pc
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AutomationCondition,
    DynamicPartitionsDefinition,
    Output,
    asset,
)

from teamster.core.io_managers import Extract
from teamster.core.naming import dataset_for, key_for_relation
from teamster.core.partitions import adding_partitions, by_value
from teamster.core.resources import WAREHOUSE_POOL
from teamster.libraries.adp.resources import ADPFiles, WorkforceNowAPI
from teamster.libraries.adp.schema import GENERAL_LEDGER_SCHEMA, WORKERS_SCHEMA, files_fingerprint

PAYROLL = "adp_payroll"
WORKFORCE_NOW = "adp_workforce_now"
PAY_DATES = DynamicPartitionsDefinition(name="adp_payroll_pay_dates")

FILES_SCHEMA = pa.schema(
    [
        ("pay_date", pa.date32()),
        ("payroll_group_code", pa.string()),
        ("path", pa.string()),
        ("size", pa.int64()),
        ("modified_at", pa.timestamp("us", tz="UTC")),
    ]
)


def files_key(location: str) -> AssetKey:
    return key_for_relation(dataset_for(location, PAYROLL), "general_ledger_files")


def general_ledger_key(location: str) -> AssetKey:
    return key_for_relation(dataset_for(location, PAYROLL), "general_ledger")


def workers_key(location: str) -> AssetKey:
    return key_for_relation(dataset_for(location, WORKFORCE_NOW), "workers")


def build_adp_assets(location: str) -> list[AssetsDefinition]:
    files, ledger = files_key(location), general_ledger_key(location)
    workers_asset_key = workers_key(location)

    @asset(
        key=files,
        group_name=PAYROLL,
        kinds={"adp", "sftp", "parquet"},
        pool=WAREHOUSE_POOL,
        description="ADP general-ledger files on the payroll SFTP folder, one per pay date and "
        "payroll group; each pay date becomes a partition of `general_ledger`.",
    )
    def general_ledger_files(context: AssetExecutionContext, adp_sftp: ADPFiles) -> Output[Extract]:
        adp = adp_sftp
        listing = adp.listing()
        listed = [gl for day in listing.values() for gl in day]
        batch = pa.record_batch(
            [
                pa.array([gl.pay_date for gl in listed], pa.date32()),
                pa.array([gl.group for gl in listed], pa.string()),
                pa.array([gl.file.path for gl in listed], pa.string()),
                pa.array([gl.file.size for gl in listed], pa.int64()),
                pa.array(
                    [dt.datetime.fromtimestamp(gl.file.mtime, dt.UTC) for gl in listed],
                    FILES_SCHEMA.field("modified_at").type,
                ),
            ],
            schema=FILES_SCHEMA,
        )

        return Output(
            Extract(
                FILES_SCHEMA,
                [batch],
                after_load=adding_partitions(context.instance, PAY_DATES, sorted(listing)),
            ),
            metadata={"latest_pay_date": max(listing, default="none")},
        )

    @asset(
        key=ledger,
        deps=[files],
        group_name=PAYROLL,
        kinds={"adp", "sftp", "parquet"},
        pool=WAREHOUSE_POOL,
        partitions_def=PAY_DATES,
        # a pay date the listing adds is loaded once, by the location's automation sensor
        automation_condition=AutomationCondition.on_missing(),
        description="ADP payroll general-ledger lines of one pay date (the partition key), from "
        "every payroll group's file of that date, each validated and translated through "
        "kipptaf's ADP crosswalk before anything lands.",
    )
    def general_ledger(context: AssetExecutionContext, adp_sftp: ADPFiles) -> Output[Extract]:
        pay_date = context.partition_key
        fetched = adp_sftp.general_ledger(pay_date)
        day = dt.date.fromisoformat(pay_date)
        partition = by_value("pay_date", pay_date, "source_file_date", day)
        debit, credit = (pc.sum(fetched.table.column(c)).as_py() for c in ("debit", "credit"))
        return Output(
            Extract(GENERAL_LEDGER_SCHEMA, fetched.table.to_batches(), partition),
            metadata={
                "debit_total": str(debit or 0),
                "credit_total": str(credit or 0),
                "source/files": files_fingerprint(fetched.files),
            },
        )

    @asset(
        key=workers_asset_key,
        group_name=WORKFORCE_NOW,
        kinds={"adp", "parquet"},
        pool=WAREHOUSE_POOL,
        description="ADP Workforce Now workers from its workers API, one row per work "
        "assignment (current and former staff), translated through kipptaf's ADP "
        "crosswalk and replaced whole.",
    )
    def workers(
        context: AssetExecutionContext, adp_workforce_now: WorkforceNowAPI
    ) -> Output[Extract]:
        api = adp_workforce_now
        with api.connect():
            table, count = api.workers()
        status = table.column("assignment_status_code")
        return Output(
            Extract(WORKERS_SCHEMA, table.to_batches()),
            metadata={
                "workers": count,
                "terminated_assignments": pc.sum(pc.equal(status, "T")).as_py() or 0,
            },
        )

    return [general_ledger_files, general_ledger, workers]
