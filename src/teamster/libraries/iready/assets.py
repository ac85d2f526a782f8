"""The i-Ready asset: ``<region>_iready.diagnostic_results``, one partition per subject.

Each subject has its own file, so each is its own static partition (``ela`` holds the
rows whose subject is Reading, ``math`` those of Math): a file is validated, landed
under ``subject=<key>/`` and replaces exactly its subject's rows, so a rerun never
duplicates and a bad Math file never holds back Reading. Only this school year's
folder (``Current_Year``) is read.
"""

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Output,
    StaticPartitionsDefinition,
    asset,
)

from teamster.core.changes import source_metadata
from teamster.core.io_managers import Extract
from teamster.core.naming import dataset_for, key_for_relation
from teamster.core.partitions import Partition, by_value
from teamster.core.resources import WAREHOUSE_POOL
from teamster.libraries.iready.resources import IReadySFTP
from teamster.libraries.iready.schema import SCHEMA, SUBJECTS

GROUP = "iready"
INTEGRATION = "iready"
TABLE = "diagnostic_results"
SUBJECT_PARTITIONS = StaticPartitionsDefinition(list(SUBJECTS))


def asset_key(location: str) -> AssetKey:
    return key_for_relation(dataset_for(location, INTEGRATION), TABLE)


def subject_partition(key: str) -> Partition:
    """The rows of one subject file: ``subject = 'Reading'`` for ``ela``."""
    return by_value("subject", key, "subject", SUBJECTS[key])


def build_iready_assets(location: str) -> list[AssetsDefinition]:
    key = asset_key(location)

    @asset(
        key=key,
        group_name=GROUP,
        kinds={"iready", "parquet"},
        pool=WAREHOUSE_POOL,
        partitions_def=SUBJECT_PARTITIONS,
        description=f"i-Ready diagnostic results of {location}'s students, one row per "
        "completed diagnostic, from `diagnostic_results_<ela|math>[_CONFIDENTIAL].csv` in the "
        "site's Current_Year folder on i-Ready's SFTP. One partition per subject file; a file "
        "that does not match the declared columns, or names a school the region's crosswalk "
        "does not know, loads nothing.",
    )
    def _asset(context: AssetExecutionContext, iready: IReadySFTP) -> Output[Extract]:
        subject = context.partition_key
        results = iready.fetch(subject)
        return Output(
            Extract(SCHEMA, results.table.to_batches(), subject_partition(subject)),
            metadata={
                "source/uri": results.uri,
                "source/file_name": results.file.path.rsplit("/", 1)[-1],
                **source_metadata(results.file),
            },
        )

    return [_asset]
