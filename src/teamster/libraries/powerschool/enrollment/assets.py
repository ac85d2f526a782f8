"""Enrollment assets (kipptaf): published actions, and submission records per action.

Published actions become dynamic partitions; each action's records land in their own
partition (``action_id=<id>``) and replace exactly that action's rows.
"""

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import pyarrow as pa
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DynamicPartitionsDefinition,
    asset,
)

from teamster.core.io_managers import Extract
from teamster.core.landing import LandedFile
from teamster.core.naming import key_for_relation
from teamster.core.partitions import by_value
from teamster.core.resources import WAREHOUSE_POOL

RESOURCE_KEY = "powerschool_enrollment"
DATASET = "kipptaf_powerschool_enrollment"
ACTIONS = DynamicPartitionsDefinition(name="powerschool_enrollment_actions")
ACTIONS_KEY = key_for_relation(DATASET, "published_actions")
RECORDS_KEY = key_for_relation(DATASET, "submission_records")

ACTIONS_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("name", pa.string()),
        ("code_location", pa.string()),
        ("published_at", pa.timestamp("us")),
    ]
)
RECORDS_SCHEMA = pa.schema(
    [
        ("id", pa.int64()),
        ("action_id", pa.int64()),
        ("submitted_at", pa.timestamp("us")),
        ("student_number", pa.int64()),
        ("first_name", pa.string()),
        ("last_name", pa.string()),
        ("grade_applying", pa.int64()),
        ("status", pa.string()),
    ]
)


def to_batch(rows: list[dict[str, Any]], schema: pa.Schema) -> pa.RecordBatch:
    """API rows as a batch of the declared schema; timestamps arrive as ISO text."""
    columns = []
    for field in schema:
        values = [row.get(field.name) for row in rows]
        if pa.types.is_timestamp(field.type):
            values = [None if v is None else dt.datetime.fromisoformat(v) for v in values]
        columns.append(pa.array(values, type=field.type))
    return pa.record_batch(columns, schema=schema)


def _batches(pages: Iterable[list[dict]], schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for page in pages:
        yield to_batch(page, schema)


def build_enrollment_assets() -> list[AssetsDefinition]:
    @asset(
        key=ACTIONS_KEY,
        group_name="powerschool_enrollment",
        kinds={"powerschool", "parquet"},
        pool=WAREHOUSE_POOL,
        required_resource_keys={RESOURCE_KEY},
        description="Published actions (forms) of PowerSchool Enrollment; each one becomes "
        "a partition of `submission_records`.",
    )
    def published_actions(context: AssetExecutionContext) -> Extract:
        with getattr(context.resources, RESOURCE_KEY).connect() as api:
            actions = api.published_actions()

        def add_partitions(_: LandedFile) -> dict[str, object]:
            known = set(context.instance.get_dynamic_partitions(ACTIONS.name))
            new = sorted({str(a["id"]) for a in actions} - known, key=int)
            if new:
                context.instance.add_dynamic_partitions(ACTIONS.name, new)
            return {"new_partitions": len(new)}

        return Extract(
            ACTIONS_SCHEMA, [to_batch(actions, ACTIONS_SCHEMA)], after_load=add_partitions
        )

    @asset(
        key=RECORDS_KEY,
        deps=[ACTIONS_KEY],
        group_name="powerschool_enrollment",
        kinds={"powerschool", "parquet"},
        pool=WAREHOUSE_POOL,
        partitions_def=ACTIONS,
        required_resource_keys={RESOURCE_KEY},
        description="Submission records of one published action (the partition key).",
    )
    def submission_records(context: AssetExecutionContext) -> Extract:
        action_id = int(context.partition_key)
        api = getattr(context.resources, RESOURCE_KEY)

        def batches() -> Iterator[pa.RecordBatch]:
            with api.connect() as session:
                yield from _batches(session.submission_records(action_id), RECORDS_SCHEMA)

        partition = by_value("action_id", context.partition_key, "action_id", action_id)
        return Extract(RECORDS_SCHEMA, batches(), partition)

    return [published_actions, submission_records]
