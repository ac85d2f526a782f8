"""The IO manager every ingestion asset uses: land Parquet, then replace the table.

An ingestion asset reads its source and returns an ``Extract``: the declared Arrow
schema and the rows as a stream of batches (plus, for a partitioned table, which rows
the partition holds). The IO manager writes them to the landing zone as one Parquet
file (moved into place only once complete) and then replaces the asset's warehouse
table, or just the partition's rows, from that file in one transaction. The table is
the one the asset's key names (``teamster.core.naming``), so no asset says where it
writes. A source that fails mid-stream fails the run before the warehouse is touched.
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
    # runs once the table is replaced; returns metadata known only then (a cursor's
    # maximum) and may act on the load (add the partitions the new rows name)
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
        self.warehouse.replace(dataset, table, landed)
        context.add_output_metadata(
            {
                "dagster/row_count": landed.rows,
                "landed_uri": landed.uri,
                "landed_bytes": landed.bytes,
                "table": f"{dataset}.{table}",
                **(obj.after_load(landed) if obj.after_load else {}),
            }
        )

    def load_input(self, context: InputContext) -> pa.Table:
        """The whole warehouse table of the upstream asset (every partition)."""
        dataset, table = relation_for_key(context.asset_key)
        return self.warehouse.read(dataset, table)
