"""BigQuery loads on the emulator: whole tables, partitions replaced by one MERGE."""

import datetime as dt

import pyarrow as pa
import pytest
import sqlglot
from dagster import AssetKey

from sandbox.prod_run import create_buckets
from teamster.core.landing import LandingZone
from teamster.core.partitions import fiscal_year_window
from teamster.core.settings import GCSLandingSettings
from teamster.core.warehouse import BigQueryWarehouse, partition_merge

KEY = AssetKey(["warehousetest", "powerschool", "attendance"])
DATASET, TABLE = "warehousetest_powerschool", "attendance"  # no location's dataset


def _rows(ids, days, schema=None) -> pa.RecordBatch:
    schema = schema or pa.schema([("id", pa.int64()), ("att_date", pa.date32())])
    data = {"id": pa.array(ids, pa.int64()), "att_date": pa.array(days, pa.date32())}
    return pa.record_batch([data[f.name] for f in schema], schema=schema)


@pytest.fixture(scope="module")
def loaders(cloud):
    create_buckets(cloud, ["warehousetest"], prefix="wh-test")
    landing = LandingZone(
        GCSLandingSettings(project=cloud.project, bucket_prefix="wh-test", endpoint=cloud.gcs)
    )
    warehouse = BigQueryWarehouse(project=cloud.project, location="US", api_endpoint=cloud.bigquery)
    return landing, warehouse


def _land_and_replace(loaders, batch, key="2025-07-01"):
    landing, warehouse = loaders
    partition = fiscal_year_window(key, "att_date")
    landed = landing.write(KEY, batch.schema, [batch], partition)
    return warehouse.replace(DATASET, TABLE, landed)


def _table(warehouse) -> list[tuple]:
    rows = warehouse.read(DATASET, TABLE).to_pylist()
    return sorted((r["id"], r["att_date"]) for r in rows)


def _scratch(warehouse) -> list[str]:
    return [t.table_id for t in warehouse.client.list_tables(DATASET) if "__load_" in t.table_id]


def test_a_partition_is_replaced_and_replaced_again(loaders):
    _, warehouse = loaders
    fall, spring, next_fall = dt.date(2025, 9, 2), dt.date(2026, 1, 5), dt.date(2026, 9, 1)
    _land_and_replace(loaders, _rows([1, 2, 3], [fall, spring, spring]), key="2025-07-01")
    _land_and_replace(loaders, _rows([10], [next_fall]), key="2026-07-01")
    assert len(_table(warehouse)) == 4
    # the first fiscal year again, one row fewer: nothing doubled, nothing left over,
    # the other fiscal year untouched; and once more, the same
    for _ in range(2):
        _land_and_replace(loaders, _rows([1, 3], [fall, spring]), key="2025-07-01")
        assert _table(warehouse) == [(1, fall), (3, spring), (10, next_fall)]
    assert _scratch(warehouse) == []


def test_columns_are_matched_by_name(loaders):
    _, warehouse = loaders
    swapped = pa.schema([("att_date", pa.date32()), ("id", pa.int64())])
    day = dt.date(2025, 10, 1)
    _land_and_replace(loaders, _rows([7], [day], schema=swapped), key="2025-07-01")
    assert (7, day) in _table(warehouse)


def test_a_failed_merge_keeps_the_table_and_drops_the_scratch_table(loaders):
    _, warehouse = loaders
    _land_and_replace(loaders, _rows([1], [dt.date(2025, 8, 1)]))
    before = _table(warehouse)
    wrong = pa.schema([("id", pa.string()), ("att_date", pa.date32())])
    batch = pa.record_batch(
        [pa.array(["not a number"]), pa.array([dt.date(2025, 8, 2)], pa.date32())], schema=wrong
    )
    with pytest.raises(Exception, match="(?i)id|type|int"):
        _land_and_replace(loaders, batch)
    assert _table(warehouse) == before
    assert _scratch(warehouse) == []


def test_the_merge_is_one_googlesql_statement():
    """What real BigQuery is sent, parsed as GoogleSQL (the emulator runs it too)."""
    from google.cloud.bigquery import SchemaField

    schema = [SchemaField("id", "INTEGER"), SchemaField("att_date", "DATE")]
    sql, parameters = partition_merge(
        "p.kippcamden_powerschool.attendance",
        "p.kippcamden_powerschool.attendance__load_1",
        schema,
        fiscal_year_window("2025-07-01", "att_date"),
    )
    [statement] = sqlglot.parse(sql, read="bigquery")
    assert isinstance(statement, sqlglot.exp.Merge)
    assert "CAST(@p0 AS DATE)" in sql and "CAST(@p1 AS DATE)" in sql
    assert "INSERT (`id`, `att_date`) VALUES (s.`id`, s.`att_date`)" in sql
    assert [p[:2] for p in parameters] == [("p0", "DATETIME"), ("p1", "DATETIME")]
