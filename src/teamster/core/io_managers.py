"""The IO manager every ingestion asset uses: land Parquet, then replace the table.

An ingestion asset reads its source and returns an ``Extract``: the declared Arrow
schema and the rows as a stream of batches (plus, for a partitioned table, which rows
the partition holds). The IO manager writes them to the landing zone as one Parquet
file (moved into place only once complete) and then replaces the asset's warehouse
table, or just the partition's rows, from that file in one transaction. The table is
the one the asset's key names (``teamster.core.naming``), so no asset says where it
writes. A source that fails mid-stream fails the run before the warehouse is touched.

Whatever can fail runs before the swap: the asset's ``after_load`` hook runs once the
file has landed and before the table is replaced. A hook that raises fails the run
with the previous table intact; the landing zone then holds the new file (as it does
when the load itself fails), and the next good run lands and loads over it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from dagster import InputContext, IOManager, OutputContext

from teamster.core.landing import LandedFile, LandingZone
from teamster.core.naming import relation_for_key
from teamster.core.partitions import Partition
from teamster.core.warehouse import Warehouse


@dataclass(frozen=True)
class Extract:
    """What an ingestion asset returns: the rows to land, read lazily from the source."""

    schema: pa.Schema
    # consumed once, by the IO manager; a generator may hold the source's connection
    # open while it yields
    batches: Iterable[pa.RecordBatch]
    partition: Partition | None = None
    # runs once the file has landed, before the table is replaced (so its failure
    # leaves the previous table); returns metadata known only then (a cursor's maximum)
    # and may act on the landed rows, but only in ways that are idempotent and harmless
    # should the swap then fail (add the partitions the new rows name: they are the
    # vendor's, and adding them again adds nothing)
    after_load: Callable[[LandedFile], Mapping[str, Any]] | None = None


class LandingIOManager(IOManager):
    def __init__(self, landing: LandingZone, warehouse: Warehouse):
        self.landing = landing
        self.warehouse = warehouse

    def handle_output(self, context: OutputContext, obj: Extract) -> None:
        key = context.asset_key
        if not isinstance(obj, Extract):
            raise TypeError(
                f"asset {key.to_user_string()} returned {type(obj).__name__}; "
                "ingestion assets return teamster.core.io_managers.Extract"
            )
        dataset, table = relation_for_key(key)
        landed = self.landing.write(key, obj.schema, obj.batches, obj.partition)
        # before the swap: a hook that fails must leave readers the previous table
        extra = dict(obj.after_load(landed)) if obj.after_load else {}
        self.warehouse.replace(dataset, table, landed)
        context.add_output_metadata(
            {
                "dagster/row_count": landed.rows,
                "landed_uri": landed.uri,
                "landed_bytes": landed.bytes,
                "table": f"{dataset}.{table}",
                **extra,
            }
        )

    def load_input(self, context: InputContext) -> pa.Table:
        """The whole warehouse table of the upstream asset (every partition)."""
        dataset, table = relation_for_key(context.asset_key)
        return self.warehouse.read(dataset, table)
