"""A SIS table partitioned by month: each month is probed, landed and replaced alone."""

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from support import sis_requests
from teamster.core.resources import shared_resources
from teamster.core.settings import DuckDBSettings, LocalLandingSettings
from teamster.libraries.powerschool.sis.assets import build_sis_assets
from teamster.libraries.powerschool.sis.config import SISConfig, SISTable, sis_resource
from teamster.libraries.powerschool.sis.queries import probe
from teamster.libraries.powerschool.sis.sensors import build_sis_change_sensor

LOCATION = "kippcamden"
KEY = AssetKey([LOCATION, "powerschool", "attendance"])
CONFIG = SISConfig(
    path="sql",
    tables=[
        SISTable(
            name="attendance",
            cursor="whenmodified",
            partition_column="transaction_date",
            partition_grain="month",
        )
    ],
)


@pytest.fixture
def defs(settings, tmp_path) -> Definitions:
    # a warehouse and landing zone of its own: the shared ones hold fiscal-year loads
    isolated = settings.model_copy(
        update={
            "landing": LocalLandingSettings(root=tmp_path / "landing"),
            "warehouse": DuckDBSettings(path=tmp_path / "warehouse.duckdb"),
        }
    )
    return Definitions(
        assets=build_sis_assets(LOCATION, CONFIG),
        sensors=[build_sis_change_sensor(LOCATION, CONFIG)],
        resources={
            **shared_resources(isolated),
            "powerschool_sis": sis_resource(LOCATION, CONFIG, isolated),
        },
    )


def _source_counts(defs: Definitions, keys: list[str]) -> dict[str, int]:
    table = CONFIG.tables[0]
    with defs.resources["powerschool_sis"].session() as session:
        return {
            k: session.one(probe("attendance", "whenmodified", table.window(k)))[0] for k in keys
        }


def _warehouse_counts(tmp_path) -> dict[str, int]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select strftime(date_trunc('month', transaction_date), '%Y-%m-%d'), count(*) "
            "from kippcamden_powerschool.attendance group by 1"
        ).fetchall()
    return dict(rows)


def _requested(defs: Definitions, instance) -> set[str]:
    return {r.partition_key for r in sis_requests(defs, LOCATION, instance)}


def test_months_are_probed_loaded_and_replaced_one_at_a_time(sandbox, defs, tmp_path):
    instance = DagsterInstance.ephemeral()
    months = CONFIG.partitions(CONFIG.tables[0]).get_partition_keys()
    assert months[0] == "2025-07-01" and len(months) >= 12

    # nothing loaded yet: the sensor asks for every month
    assert _requested(defs, instance) == set(months)
    source = _source_counts(defs, months)
    busiest = sorted((m for m in months if source[m]), key=lambda m: -source[m])[:2]
    assert len(busiest) == 2

    job = defs.resolve_implicit_global_asset_job_def()
    for month in [*busiest, busiest[0]]:  # the rerun must replace, not append
        job.execute_in_process(asset_selection=[KEY], partition_key=month, instance=instance)
    assert _warehouse_counts(tmp_path) == {m: source[m] for m in busiest}
    folder = tmp_path / "landing" / LOCATION / "powerschool" / "attendance"
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"month={m}" for m in busiest)

    # the loaded months match their probes now; every other month is still asked for
    assert _requested(defs, instance) == set(months) - set(busiest)
