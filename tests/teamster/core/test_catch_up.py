"""The catch-up's own parts; the whole of it runs in tests/test_demo.py."""

import datetime as dt

from dagster import AddDynamicPartitionsRequest, RunRequest, SensorResult, SkipReason

from teamster.core.catch_up import _sensor_result, first_firing


def test_a_schedule_fires_at_its_first_time_of_the_day_in_its_own_zone():
    day = dt.date(2026, 12, 1)  # a Tuesday
    when = first_firing("0 2 * * *", "America/New_York", day)
    assert when is not None and when.isoformat() == "2026-12-01T02:00:00-05:00"
    hourly = first_firing("0 6-18 * * 1-5", "America/New_York", day)
    assert hourly is not None and hourly.hour == 6
    assert first_firing("0 6-18 * * 1-5", "America/New_York", dt.date(2026, 12, 5)) is None
    # the day is the schedule's own: 23:30 UTC is not the next day in New York
    late = first_firing("30 23 * * *", "UTC", day)
    assert late is not None and late.date() == day


def test_every_shape_a_sensor_returns_becomes_requests_and_partitions():
    one = RunRequest(run_key="a")
    assert _sensor_result(one) == ([one], [])
    assert _sensor_result([one, RunRequest(run_key="b")])[0][1].run_key == "b"
    assert _sensor_result(SkipReason("nothing")) == ([], [])
    assert _sensor_result(None) == ([], [])
    added = AddDynamicPartitionsRequest("pay_dates", ["2026-12-04"])
    requests, partitions = _sensor_result(
        SensorResult(run_requests=[one], dynamic_partitions_requests=[added])
    )
    assert requests == [one] and partitions == [added]
