import datetime as dt

import pytest

from teamster.core.partitions import (
    fiscal_year_partitions,
    fiscal_year_window,
    month_partitions,
    month_window,
)


def test_fiscal_year_window_starts_in_july():
    p = fiscal_year_window("2026-07-01", "transaction_date")
    assert (p.start, p.end) == (dt.datetime(2026, 7, 1), dt.datetime(2027, 7, 1))
    assert p.folder == "fiscal_year=2026-07-01"
    with pytest.raises(ValueError, match="not a fiscal-year partition key"):
        fiscal_year_window("2026-01-01", "transaction_date")


def test_fiscal_year_partitions_include_the_one_in_progress():
    keys = fiscal_year_partitions(dt.date(2024, 7, 1), "America/New_York").get_partition_keys(
        current_time=dt.datetime(2026, 11, 30)
    )
    assert keys == ["2024-07-01", "2025-07-01", "2026-07-01"]
    with pytest.raises(ValueError, match="start on July 1"):
        fiscal_year_partitions(dt.date(2024, 1, 1), "America/New_York")


def test_month_window_rolls_over_the_year():
    p = month_window("2026-12-01", "transaction_date")
    assert (p.start, p.end) == (dt.datetime(2026, 12, 1), dt.datetime(2027, 1, 1))
    assert p.folder == "month=2026-12-01"
    assert month_window("2026-07-01", "d").end == dt.datetime(2026, 8, 1)
    with pytest.raises(ValueError, match="not a monthly partition key"):
        month_window("2026-12-15", "transaction_date")


def test_month_partitions_include_the_one_in_progress():
    keys = month_partitions(dt.date(2026, 7, 1), "America/New_York").get_partition_keys(
        current_time=dt.datetime(2026, 11, 30)
    )
    assert keys == ["2026-07-01", "2026-08-01", "2026-09-01", "2026-10-01", "2026-11-01"]
    with pytest.raises(ValueError, match="start on the 1st"):
        month_partitions(dt.date(2026, 7, 2), "America/New_York")


def test_the_first_partition_holds_all_earlier_and_undated_rows():
    import duckdb

    from teamster.core.partitions import time_window

    first = time_window("fiscal_year", "2025-07-01", "d", first_key="2025-07-01")
    later = time_window("fiscal_year", "2026-07-01", "d", first_key="2025-07-01")
    assert first.start is None and first.end == dt.datetime(2026, 7, 1)
    assert later.start == dt.datetime(2026, 7, 1)
    days = ["2019-01-05", "2025-09-01", "2026-09-01", None]
    with duckdb.connect() as con:
        con.execute("create table t (d date)")
        con.executemany("insert into t values (?)", [[d] for d in days])

        def held(p):
            predicate, params = p.where("d")
            rows = con.execute(f"select d from t where {predicate} order by d", params)
            return [r[0] and r[0].isoformat() for r in rows.fetchall()]

        assert held(first) == ["2019-01-05", "2025-09-01", None]
        assert held(later) == ["2026-09-01"]


def test_new_keys_become_partitions_once_in_the_order_given():
    from dagster import DagsterInstance, DynamicPartitionsDefinition

    from teamster.core.partitions import add_new_partitions, adding_partitions

    pay_dates = DynamicPartitionsDefinition(name="pay_dates")
    with DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(pay_dates.name, ["2026-09-15"])
        added = add_new_partitions(instance, pay_dates, ["2026-10-15", "2026-09-15", "2026-10-01"])
        assert added == ["2026-10-15", "2026-10-01"]
        assert instance.get_dynamic_partitions(pay_dates.name) == [
            "2026-09-15",
            "2026-10-15",
            "2026-10-01",
        ]
        hook = adding_partitions(instance, pay_dates, ["2026-10-01", "2026-11-01"])
        assert hook(None) == {"new_partitions": 1}
        assert hook(None) == {"new_partitions": 0}  # a second load adds nothing
