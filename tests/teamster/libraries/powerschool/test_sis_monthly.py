"""A SIS table partitioned by month: each month is probed, landed and replaced alone."""

import datetime as dt

import duckdb
import pytest
from dagster import AssetKey, DagsterInstance, Definitions

from support import sis_requests
from teamster.core.resources import shared_resources
from teamster.core.settings import DuckDBSettings, LocalLandingSettings
from teamster.libraries.powerschool.sis.assets import build_sis_assets
from teamster.libraries.powerschool.sis.config import SISConfig, SISTable, sis_resource
from teamster.libraries.powerschool.sis.resources import probe
from teamster.libraries.powerschool.sis.sensors import build_sis_change_sensor

LOCATION = "kippcamden"
KEY = AssetKey([LOCATION, "powerschool", "attendance"])
CONFIG = SISConfig(
    path="sql",
    timezone="America/New_York",
    tables=[SISTable(name="attendance", partition_column="att_date", partition_grain="month")],
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
            k: session.one(probe("attendance", "transaction_date", CONFIG.window(table, k)))[0]
            for k in keys
        }


def _warehouse_counts(tmp_path) -> dict[str, int]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select strftime(date_trunc('month', att_date), '%Y-%m-%d'), count(*) "
            "from kippcamden_powerschool.attendance group by 1"
        ).fetchall()
    return dict(rows)


def _requested(defs: Definitions, instance) -> set[str]:
    return {r.partition_key for r in sis_requests(defs, LOCATION, instance)}


def _months_through(first: dt.date, last: dt.date) -> list[str]:
    """The first days of every month from ``first``'s through ``last``'s."""
    out, day = [], first.replace(day=1)
    while day <= last:
        out.append(day.isoformat())
        day = day.replace(year=day.year + day.month // 12, month=day.month % 12 + 1)
    return out


def test_months_are_probed_loaded_and_replaced_one_at_a_time(sandbox, defs, tmp_path):
    instance = DagsterInstance.ephemeral()
    months = CONFIG.partitions(CONFIG.tables[0]).get_partition_keys()
    # a month per partition from the first fiscal year through the district's today, in
    # any season; partitions end at the machine's clock, which the session's sandbox,
    # moved on by other tests, may have passed
    as_of = dt.date.fromisoformat(sandbox.state()["as_of"])
    held = _months_through(CONFIG.first_fiscal_year, min(as_of, dt.date.today()))
    assert months[: len(held)] == held

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


MOVING = SISConfig(
    path="sql",
    timezone="America/New_York",
    tables=[
        SISTable(name="attendance", partition_column="transaction_date", partition_grain="month")
    ],
)
ROW = (
    "insert into attendance (id, dcid, studentid, schoolid, att_date, attendance_codeid, "
    "att_mode_code, calendar_dayid, yearid, transaction_date) "
    "values (%s, %s, 1, 201, %s, 20102, 'ATT_ModeDaily', 201001, 35, %s)"
)


@pytest.fixture
def scratch_sis(sandbox, settings):
    """A database of its own on kippcamden's SIS server, reached through the same
    bastion: rows whose stamps this test sets, in months before the machine's clock."""
    import psycopg

    from sandbox.postgres import DATABASE, USER
    from sandbox.sis import TABLES

    db = sandbox._database(LOCATION)
    login = dict(host=str(db.socket_dir), user=USER, password=db.password)
    with psycopg.connect(**login, dbname=DATABASE, autocommit=True) as admin:
        admin.execute("drop database if exists moves")
        admin.execute("create database moves")
    with psycopg.connect(**login, dbname="moves", autocommit=True) as conn:
        ddl = ", ".join(f"{c} {kind}" for c, kind in TABLES["attendance"].items())
        conn.execute(f"create table attendance ({ddl})")
        yield conn
    with psycopg.connect(**login, dbname=DATABASE, autocommit=True) as admin:
        admin.execute("drop database moves")


def test_a_row_whose_stamp_moves_it_to_another_partition_leaves_the_old_one(
    scratch_sis, settings, tmp_path
):
    """Partitioned on the cursor itself, an edit moves a row to a newer partition: the
    old partition's probe changes too, so both are reloaded and the row is not left
    behind twice. A row with no stamp lands in the first partition."""
    isolated = settings.model_copy(
        update={
            "landing": LocalLandingSettings(root=tmp_path / "landing"),
            "warehouse": DuckDBSettings(path=tmp_path / "warehouse.duckdb"),
            "sis_databases": {
                LOCATION: settings.sis_databases[LOCATION].model_copy(
                    update={
                        "url": settings.sis_databases[LOCATION].url.rsplit("/", 1)[0] + "/moves"
                    }
                )
            },
        }
    )
    defs = Definitions(
        assets=build_sis_assets(LOCATION, MOVING),
        sensors=[build_sis_change_sensor(LOCATION, MOVING)],
        resources={
            **shared_resources(isolated),
            "powerschool_sis": sis_resource(LOCATION, MOVING, isolated),
        },
    )
    instance = DagsterInstance.ephemeral()
    job = defs.resolve_implicit_global_asset_job_def()

    def load(months):
        for month in months:
            job.execute_in_process(asset_selection=[KEY], partition_key=month, instance=instance)

    for n, (day, stamp) in enumerate(
        [
            ("2025-09-10", "2025-09-10 08:30"),
            ("2025-09-11", "2025-09-11 08:30"),
            ("2025-10-01", "2025-10-01 08:30"),
            ("2019-05-01", None),  # written before stamps existed
        ],
        start=1,
    ):
        scratch_sis.execute(ROW, [n, n, day, stamp])
    load(_requested(defs, instance))
    assert _requested(defs, instance) == set()
    assert _loaded(tmp_path) == _source(scratch_sis)
    assert ("2025-07-01", 1) in _stamped(tmp_path)  # the undated row, in the first month

    # an absence of September is excused in October: its stamp moves it a month on
    scratch_sis.execute("update attendance set transaction_date = '2025-10-03 10:00' where id = 2")
    assert _requested(defs, instance) == {"2025-09-01", "2025-10-01"}
    load(_requested(defs, instance))
    assert _loaded(tmp_path) == _source(scratch_sis)  # once each, with its new stamp


def _source(conn) -> list[tuple]:
    return sorted(conn.execute("select dcid, transaction_date from attendance").fetchall())


def _loaded(tmp_path) -> list[tuple]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return sorted(
            con.execute(
                "select dcid, transaction_date from kippcamden_powerschool.attendance"
            ).fetchall()
        )


def _stamped(tmp_path) -> list[tuple[str, int]]:
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "select coalesce(strftime(date_trunc('month', transaction_date), '%Y-%m-%d'), "
            "'2025-07-01'), count(*) from kippcamden_powerschool.attendance group by 1"
        ).fetchall()
