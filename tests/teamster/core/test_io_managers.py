"""The landing IO manager against a real landing folder and DuckDB file."""

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from dagster import (
    AssetIn,
    AssetKey,
    DagsterInstance,
    StaticPartitionsDefinition,
    asset,
    materialize,
)

from teamster.core.io_managers import Extract, LandingIOManager
from teamster.core.landing import LandingZone
from teamster.core.partitions import by_value
from teamster.core.settings import LocalLandingSettings
from teamster.core.warehouse import DuckDBWarehouse

KEY = AssetKey(["kippnewark", "demo", "scores"])
SCHEMA = pa.schema([("subject", pa.string()), ("score", pa.int64())])


def _batch(subject: str, scores: list[int]) -> pa.RecordBatch:
    return pa.record_batch(
        [pa.array([subject] * len(scores)), pa.array(scores, pa.int64())], schema=SCHEMA
    )


@pytest.fixture
def io_manager(tmp_path: Path) -> LandingIOManager:
    return LandingIOManager(
        LandingZone(LocalLandingSettings(root=tmp_path / "landing")),
        DuckDBWarehouse(path=str(tmp_path / "warehouse.duckdb")),
    )


def _rows(tmp_path: Path) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "select subject, score from kippnewark_demo.scores order by all"
        ).fetchall()


def test_lands_replaces_the_named_table_and_records_metadata(tmp_path, io_manager) -> None:
    @asset(key=KEY)
    def scores() -> Extract:
        return Extract(
            SCHEMA,
            iter([_batch("math", [3, 1]), _batch("ela", [2])]),
            after_load=lambda landed: {"seen": landed.rows * 10},
        )

    result = materialize([scores], resources={"io_manager": io_manager})
    assert _rows(tmp_path) == [("ela", 2), ("math", 1), ("math", 3)]
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["dagster/row_count"].value == 3
    assert metadata["table"].value == "kippnewark_demo.scores"
    assert metadata["seen"].value == 30
    landed = tmp_path / "landing" / "kippnewark" / "demo" / "scores" / "data.parquet"
    assert metadata["landed_uri"].value == str(landed)
    assert landed.exists()


def test_a_partition_replaces_only_its_rows(tmp_path, io_manager) -> None:
    subjects = StaticPartitionsDefinition(["ela", "math"])

    @asset(key=KEY, partitions_def=subjects)
    def scores(context) -> Extract:
        subject = context.partition_key
        scores = {"ela": [1, 2], "math": [5]}[subject]
        partition = by_value("subject", subject, "subject", subject)
        return Extract(SCHEMA, [_batch(subject, scores)], partition)

    instance = DagsterInstance.ephemeral()
    for key in ("ela", "math", "ela"):
        materialize(
            [scores], partition_key=key, resources={"io_manager": io_manager}, instance=instance
        )
    assert _rows(tmp_path) == [("ela", 1), ("ela", 2), ("math", 5)]


def test_a_stream_that_fails_leaves_the_previous_table(tmp_path, io_manager) -> None:
    good = [_batch("math", [1])]

    @asset(key=KEY)
    def scores() -> Extract:
        return Extract(SCHEMA, list(good))

    materialize([scores], resources={"io_manager": io_manager})

    def broken() -> Iterator[pa.RecordBatch]:
        yield _batch("math", [7, 8])
        raise ConnectionError("tunnel dropped")

    @asset(key=KEY)
    def scores_again() -> Extract:
        return Extract(SCHEMA, broken())

    with pytest.raises(ConnectionError, match="tunnel dropped"):
        materialize([scores_again], resources={"io_manager": io_manager})
    assert _rows(tmp_path) == [("math", 1)]
    folder = tmp_path / "landing" / "kippnewark" / "demo" / "scores"
    assert [p.name for p in folder.iterdir()] == ["data.parquet"]  # no partial file


def test_anything_but_an_extract_is_refused_by_name(io_manager) -> None:
    @asset(key=KEY)
    def scores() -> dict:
        return {"math": 1}

    with pytest.raises(TypeError, match="kippnewark/demo/scores returned dict"):
        materialize([scores], resources={"io_manager": io_manager})


def test_a_downstream_asset_reads_the_whole_table(io_manager) -> None:
    @asset(key=KEY)
    def scores() -> Extract:
        return Extract(SCHEMA, [_batch("ela", [4, 6])])

    @asset(ins={"scores": AssetIn(key=KEY)})
    def mean_score(scores: pa.Table) -> None:
        assert scores.num_rows == 2
        assert sum(scores.column("score").to_pylist()) / scores.num_rows == 5

    result = materialize(
        [scores, mean_score], resources={"io_manager": io_manager}, selection=[KEY]
    )
    assert result.success
    result = materialize(
        [scores.to_source_asset(), mean_score], resources={"io_manager": io_manager}
    )
    assert result.success


def test_a_failing_after_load_hook_leaves_the_previous_table(tmp_path, io_manager) -> None:
    """The hook runs once the file has landed and before the table is swapped: when it
    fails, the run fails with its error and readers keep the previous rows (the landing
    zone holds the new file, which the next good run replaces)."""

    @asset(key=KEY)
    def scores() -> Extract:
        return Extract(SCHEMA, [_batch("math", [1, 2])])

    materialize([scores], resources={"io_manager": io_manager})
    before = _rows(tmp_path)
    seen: list[int] = []

    def hook(landed) -> dict:
        seen.append(landed.rows)
        raise RuntimeError("cannot add the new partitions")

    @asset(key=KEY)
    def scores_again() -> Extract:
        return Extract(SCHEMA, [_batch("ela", [9, 9, 9])], after_load=hook)

    with pytest.raises(RuntimeError, match="cannot add the new partitions"):
        materialize([scores_again], resources={"io_manager": io_manager})
    assert seen == [3]  # the hook saw the landed file
    assert _rows(tmp_path) == before == [("math", 1), ("math", 2)]
    landed = tmp_path / "landing" / "kippnewark" / "demo" / "scores" / "data.parquet"
    assert pq.read_table(landed).num_rows == 3  # the landing zone holds the new extract
