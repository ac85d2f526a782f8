"""Enrollment assets (kipptaf): published actions, and submission records per action.

Published actions become dynamic partitions when their listing lands (the one place
they are added); each action's records land in their own partition
(``published_action_id=<id>``) and replace exactly that action's rows, a new action's
first by its ``on_missing`` automation condition. Each record is typed against the
fields in ``schema.py``; a value of the wrong type, or a field the
API stopped sending, fails the load naming the action, page row and field, and nothing
lands. The API gives times in UTC without a zone; they land as UTC timestamps.
``dataItems`` (the form's answers, keyed by the form's own field names) lands as a map
and ``tags`` as a list; ``published_action_id`` is the partition the record was read
under (the records themselves do not carry it).
"""

from collections.abc import Iterator

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    AutomationCondition,
    DynamicPartitionsDefinition,
    asset,
)

from teamster.core.io_managers import Extract
from teamster.core.naming import key_for_relation
from teamster.core.partitions import adding_partitions, by_value
from teamster.core.resources import WAREHOUSE_POOL
from teamster.libraries.powerschool.enrollment.resources import (
    ACTIONS_PATH,
    EnrollmentAPI,
)
from teamster.libraries.powerschool.enrollment.schema import (
    ACTION_FIELDS,
    ACTIONS_SCHEMA,
    RECORDS_SCHEMA,
    record_batches,
    to_batch,
)

DATASET = "kipptaf_powerschool_enrollment"
ACTIONS = DynamicPartitionsDefinition(name="powerschool_enrollment_actions")
ACTIONS_KEY = key_for_relation(DATASET, "published_actions")
RECORDS_KEY = key_for_relation(DATASET, "submission_records")


def build_enrollment_assets() -> list[AssetsDefinition]:
    @asset(
        key=ACTIONS_KEY,
        group_name="powerschool_enrollment",
        kinds={"powerschool", "parquet"},
        pool=WAREHOUSE_POOL,
        description="Published actions (forms) of PowerSchool Enrollment: id, title and "
        "the academic year the form enrolls for; each one becomes a partition of "
        "`submission_records`.",
    )
    def published_actions(
        context: AssetExecutionContext, powerschool_enrollment: EnrollmentAPI
    ) -> Extract:
        with powerschool_enrollment.connect() as api:
            actions = api.published_actions()
        batch = to_batch(actions, ACTION_FIELDS, f"Enrollment API {ACTIONS_PATH}")

        ids = sorted({str(i) for i in batch.column("id").to_pylist()}, key=int)
        return Extract(
            ACTIONS_SCHEMA, [batch], after_load=adding_partitions(context.instance, ACTIONS, ids)
        )

    @asset(
        key=RECORDS_KEY,
        deps=[ACTIONS_KEY],
        group_name="powerschool_enrollment",
        kinds={"powerschool", "parquet"},
        pool=WAREHOUSE_POOL,
        partitions_def=ACTIONS,
        # an action the listing adds is loaded once, by kipptaf's automation sensor
        automation_condition=AutomationCondition.on_missing(),
        description="Submission records of one published action (the partition key): "
        "every family on the form's roster or that started it, with when it was "
        "imported, started and submitted, its tags and its answers (`data_items`).",
    )
    def submission_records(
        context: AssetExecutionContext, powerschool_enrollment: EnrollmentAPI
    ) -> Extract:
        action_id = int(context.partition_key)
        api = powerschool_enrollment

        def batches() -> Iterator[pa.RecordBatch]:
            with api.connect() as session:
                yield from record_batches(session.submission_records(action_id), action_id)

        partition = by_value(
            "published_action_id", context.partition_key, "published_action_id", action_id
        )
        return Extract(RECORDS_SCHEMA, batches(), partition)

    return [published_actions, submission_records]
