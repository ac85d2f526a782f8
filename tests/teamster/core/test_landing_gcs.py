"""Landing on GCS (the emulator): whole objects or none."""

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import AssetKey

from sandbox.prod_run import create_buckets
from teamster.core.google import storage_client
from teamster.core.landing import LandingZone
from teamster.core.partitions import by_value
from teamster.core.settings import GCSLandingSettings

KEY = AssetKey(["kippnewark", "powerschool", "students"])
SCHEMA = pa.schema([("id", pa.int64()), ("name", pa.string())])


def _batch(start: int, n: int) -> pa.RecordBatch:
    ids = list(range(start, start + n))
    return pa.record_batch([pa.array(ids), pa.array([f"s{i}" for i in ids])], schema=SCHEMA)


@pytest.fixture(scope="module")
def zone(cloud):
    create_buckets(cloud, ["kippnewark"], prefix="landing-test")
    client = storage_client(cloud.project, cloud.gcs)
    settings = GCSLandingSettings(
        project=cloud.project, bucket_prefix="landing-test", endpoint=cloud.gcs
    )
    return LandingZone(settings), client.bucket("landing-test-kippnewark")


def test_a_landed_file_is_the_whole_parquet_file(zone):
    landing, bucket = zone
    landed = landing.write(KEY, SCHEMA, [_batch(0, 1000), _batch(1000, 500)])
    assert landed.uri == "gs://landing-test-kippnewark/powerschool/students/data.parquet"
    blob = bucket.get_blob("powerschool/students/data.parquet")
    assert blob.size == landed.bytes
    table = pq.read_table(pa.BufferReader(blob.download_as_bytes()))
    assert table.num_rows == landed.rows == 1500
    assert table.column("id").to_pylist() == list(range(1500))


def test_a_stream_that_fails_midway_leaves_the_previous_object(zone):
    landing, bucket = zone
    partition = by_value("fiscal_year", "2026", "fiscal_year", 2026)
    landing.write(KEY, SCHEMA, [_batch(0, 10)], partition)
    name = "powerschool/students/fiscal_year=2026/data.parquet"
    before = bucket.get_blob(name)

    def failing():
        yield _batch(100, 1000)
        yield _batch(1100, 1000)
        raise ConnectionError("the source dropped the connection")

    with pytest.raises(ConnectionError):
        landing.write(KEY, SCHEMA, failing(), partition)
    after = bucket.get_blob(name)
    assert after.generation == before.generation  # not replaced by a shorter file
    assert pq.read_table(pa.BufferReader(after.download_as_bytes())).num_rows == 10
    # and nothing else was left in the bucket beside it
    names = [b.name for b in bucket.list_blobs(prefix="powerschool/students/fiscal_year=2026/")]
    assert names == [name]


def test_a_first_write_that_fails_leaves_no_object(zone):
    landing, bucket = zone

    def failing():
        yield _batch(0, 10)
        raise ValueError("bad row 11")

    with pytest.raises(ValueError):
        landing.write(AssetKey(["kippnewark", "powerschool", "cc"]), SCHEMA, failing())
    assert list(bucket.list_blobs(prefix="powerschool/cc/")) == []
