"""The Enrollment API client, assets and daily schedule against the sandbox's server."""

import datetime
import time

import duckdb
import pytest
from dagster import DagsterInstance, build_schedule_context

from teamster.core.http import Retries
from teamster.core.locations import load_definitions
from teamster.libraries.powerschool.enrollment.assets import ACTIONS, ACTIONS_KEY, RECORDS_KEY
from teamster.libraries.powerschool.enrollment.client import EnrollmentAPI, EnrollmentAuthError


def _api(settings, attempts: int = 6) -> EnrollmentAPI:
    return EnrollmentAPI(settings.enrollment, Retries(attempts, 0.05, 0.2))


def test_pages_every_record(sandbox, settings):
    truth = sandbox.truth()
    with _api(settings).connect() as api:
        actions = api.published_actions()
        for action in actions[:3]:
            rows = [
                r
                for page in api.pages(
                    f"/api/v1/publishedactions/{action['id']}/submissionrecords", page_size=9
                )
                for r in page
            ]
            assert len(rows) == truth["enrollment_submissions_by_action"][str(action["id"])]
            assert len({r["id"] for r in rows}) == len(rows)
    assert {str(a["id"]) for a in actions} == set(truth["enrollment_submissions_by_action"])


@pytest.mark.parametrize("status", [429, 500])
def test_bursts_are_retried(sandbox, settings, status):
    sandbox.faults.http_burst("enrollment", status, 3)
    with _api(settings).connect() as api:
        assert api.published_actions()
    assert sandbox.faults.read()["http"]["enrollment"]["remaining"] == 0


def test_burst_longer_than_the_retries_fails(sandbox, settings):
    sandbox.faults.http_burst("enrollment", 500, 5)
    try:
        with (
            pytest.raises(Exception, match="HTTP 500"),
            _api(settings, 3).connect() as api,
        ):
            api.published_actions()
    finally:
        sandbox.faults.http_burst("enrollment", 500, 0)


def test_wrong_password_fails_at_once(sandbox, settings, tmp_path):
    wrong = tmp_path / "pw"
    wrong.write_text("not-the-password")
    api = EnrollmentAPI(settings.enrollment.model_copy(update={"password_file": wrong}))
    started = time.monotonic()
    with (
        pytest.raises(EnrollmentAuthError, match="answered 401 for user 'teamster'") as info,
        api.connect() as client,
    ):
        client.published_actions()
    assert time.monotonic() - started < 0.5  # no retries: the first wait alone is 0.5 s
    assert "not-the-password" not in str(info.value)


def _schedule_requests(defs, instance) -> set[str]:
    schedule = defs.resolve_schedule_def("powerschool_enrollment__daily")
    with build_schedule_context(
        instance=instance,
        scheduled_execution_time=datetime.datetime.now(datetime.UTC),
        resources={"powerschool_enrollment": defs.resources["powerschool_enrollment"]},
        repository_def=defs.get_repository_def(),
    ) as context:
        data = schedule.evaluate_tick(context)
    return {r.partition_key for r in data.run_requests or []}


def test_assets_and_daily_schedule(sandbox, settings, tmp_path):
    defs = load_definitions("kipptaf")
    job = defs.resolve_implicit_global_asset_job_def()
    instance = DagsterInstance.local_temp(str(tmp_path))  # schedules need a stored instance
    job.execute_in_process(asset_selection=[ACTIONS_KEY], instance=instance)
    keys = instance.get_dynamic_partitions(ACTIONS.name)
    truth = sandbox.truth()
    assert set(keys) == set(truth["enrollment_submissions_by_action"])

    # nothing loaded yet: the schedule asks for every action
    assert _schedule_requests(defs, instance) == set(keys)
    for key in keys:
        job.execute_in_process(asset_selection=[RECORDS_KEY], partition_key=key, instance=instance)
    assert _schedule_requests(defs, instance) == set()
    job.execute_in_process(
        asset_selection=[RECORDS_KEY], partition_key=keys[0], instance=instance
    )  # a rerun replaces the action's rows

    before = truth["enrollment_submissions_by_action"]
    after = sandbox.advance(days=1)["enrollment_submissions_by_action"]
    moved = {k for k in after if after[k] != before.get(k)}
    assert moved
    assert _schedule_requests(defs, instance) == moved

    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        loaded = dict(
            con.execute(
                "select cast(action_id as varchar), count(*) from "
                "kipptaf_powerschool_enrollment.submission_records group by 1"
            ).fetchall()
        )
    assert loaded == {k: v for k, v in before.items() if v}

    # load some of the changed actions: the schedule then asks for exactly the rest
    some = set(sorted(moved)[: max(1, len(moved) // 2)])
    for key in some:
        job.execute_in_process(asset_selection=[RECORDS_KEY], partition_key=key, instance=instance)
    assert _schedule_requests(defs, instance) == moved - some
