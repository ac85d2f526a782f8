"""DeansList client and assets against the sandbox's DeansList server (one key per school)."""

import json
import logging
import time
import traceback
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from dagster import AssetKey, DagsterInstance, materialize

from teamster.core.http import Retries
from teamster.core.locations import load_definitions
from teamster.core.resources import shared_resources
from teamster.core.settings import REGIONAL_LOCATIONS
from teamster.libraries.deanslist.assets import arrow_schema, build_deanslist_assets, to_batch
from teamster.libraries.deanslist.client import DeansListAPI, DeansListAuthError, DeansListError
from teamster.libraries.deanslist.config import DeansListConfig, load_deanslist_config

CONFIG_DIR = Path(__file__).parents[4] / "src" / "teamster" / "code_locations"

# The raw-table interface agreed with the dbt packages (interface.md).
INTERFACE = {
    "incidents": [
        ("incident_id", pa.int64()),
        ("student_school_id", pa.string()),
        ("school_id", pa.int64()),
        ("incident_date", pa.date32()),
        ("create_ts", pa.timestamp("us")),
        ("update_ts", pa.timestamp("us")),
        ("category", pa.string()),
        ("infraction", pa.string()),
        ("status", pa.string()),
        ("location", pa.string()),
    ],
    "behavior": [
        ("dlsaid", pa.int64()),
        ("student_school_id", pa.string()),
        ("school_id", pa.int64()),
        ("behavior_date", pa.date32()),
        ("behavior", pa.string()),
        ("behavior_category", pa.string()),
        ("point_value", pa.int64()),
    ],
}


def _api(settings, attempts: int = 6) -> DeansListAPI:
    return DeansListAPI(settings.deanslist, Retries(attempts, 0.05, 0.2))


def _schools(location: str) -> list[int]:
    return load_deanslist_config(CONFIG_DIR / location / "config" / "deanslist.yaml").schools


def _keys(settings) -> dict[str, str]:
    return json.loads(settings.deanslist.keys_file.read_text())


def _count(settings, table: str) -> int:
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        return con.execute(f"select count(*) from {table}").fetchone()[0]


def test_declared_schemas_are_the_interface():
    for endpoint, columns in INTERFACE.items():
        assert arrow_schema(endpoint) == pa.schema(columns)


def test_config_lists_every_school_that_has_a_key(sandbox, settings):
    """Every school the sandbox issued a key for belongs to exactly one region's config."""
    listed = [s for loc in REGIONAL_LOCATIONS for s in _schools(loc)]
    assert sorted(str(s) for s in listed) == sorted(_keys(settings))


def test_every_region_lands_its_truth_and_a_rerun_replaces(sandbox, settings):
    sandbox.faults.http_burst("deanslist", 500, 2)  # the assets' own retries get through it
    for location in REGIONAL_LOCATIONS:
        keys = [AssetKey([location, "deanslist", e]) for e in INTERFACE]
        job = load_definitions(location).resolve_implicit_global_asset_job_def()
        result = job.execute_in_process(asset_selection=keys, instance=DagsterInstance.ephemeral())
        truth = sandbox.truth()["deanslist_by_region"][location]
        for endpoint in INTERFACE:
            table = f"{location}_deanslist.{endpoint}"
            assert _count(settings, table) == truth[endpoint], table
            [m] = result.asset_materializations_for_node(f"{location}__deanslist__{endpoint}")
            assert m.metadata["dagster/row_count"].value == truth[endpoint]
            assert sum(m.metadata["rows_by_school"].value.values()) == truth[endpoint]
            assert not any(k in str(m.metadata) for k in _keys(settings).values())
        with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
            described = con.execute(f"describe {location}_deanslist.incidents").fetchall()
            schools = {
                r[0]
                for r in con.execute(
                    f"select distinct school_id from {location}_deanslist.incidents"
                ).fetchall()
            }
        assert [r[0] for r in described] == [c for c, _ in INTERFACE["incidents"]]
        assert schools <= set(_schools(location)) and schools

    assert sandbox.faults.read()["http"]["deanslist"]["remaining"] == 0

    # a rerun replaces the table, it never appends
    job = load_definitions("kippcamden").resolve_implicit_global_asset_job_def()
    job.execute_in_process(
        asset_selection=[AssetKey(["kippcamden", "deanslist", "incidents"])],
        instance=DagsterInstance.ephemeral(),
    )
    expected = sandbox.truth()["deanslist_by_region"]["kippcamden"]["incidents"]
    assert _count(settings, "kippcamden_deanslist.incidents") == expected
    with duckdb.connect(str(settings.warehouse.path), read_only=True) as con:
        distinct = con.execute(
            "select count(distinct incident_id) from kippcamden_deanslist.incidents"
        ).fetchone()[0]
    assert distinct == expected


@pytest.mark.parametrize("status", [429, 500])
def test_bursts_are_retried(sandbox, settings, status):
    sandbox.faults.http_burst("deanslist", status, 3)
    schools = _schools("kippmiami")
    with _api(settings).connect(schools) as session:
        rows = [r for s in schools for r in session.rows("behavior", s)]
    assert len(rows) == sandbox.truth()["deanslist_by_region"]["kippmiami"]["behavior"]
    assert sandbox.faults.read()["http"]["deanslist"]["remaining"] == 0


def test_burst_longer_than_the_retries_fails_without_the_key(sandbox, settings):
    sandbox.faults.http_burst("deanslist", 500, 5)
    try:
        with (
            pytest.raises(DeansListError, match="still answered HTTP 500 after 3 attempts") as info,
            _api(settings, 3).connect([301]) as session,
        ):
            session.rows("incidents", 301)
    finally:
        sandbox.faults.http_burst("deanslist", 500, 0)
    assert _keys(settings)["301"] not in "".join(traceback.format_exception(info.value))


def _wrong_keys(settings, tmp_path: Path, school: str) -> tuple[Path, str]:
    keys = _keys(settings)
    wrong = keys[school][::-1]
    keys[school] = wrong
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys))
    return path, wrong


def test_bad_key_fails_at_once_and_never_shows_the_key(sandbox, settings, tmp_path, caplog):
    path, wrong = _wrong_keys(settings, tmp_path, "102")
    api = DeansListAPI(settings.deanslist.model_copy(update={"keys_file": path}))
    caplog.set_level(logging.DEBUG)
    started = time.monotonic()
    with (
        pytest.raises(DeansListAuthError, match="for school 102 answered 401") as info,
        api.connect([101, 102]) as session,
    ):
        session.rows("incidents", 101)
        session.rows("incidents", 102)
    assert time.monotonic() - started < 0.5  # no retries: the first wait alone is 0.5 s
    assert str(path) in str(info.value)
    secrets = [wrong, _keys(settings)["101"], _keys(settings)["102"]]
    assert not any(s in str(info.value) for s in secrets)
    shown = "".join(traceback.format_exception(info.value))  # with any chained exception
    assert not any(s in shown for s in secrets)
    assert any("apikey=***" in r.getMessage() for r in caplog.records)  # httpx logged, blanked
    assert not any(s in r.getMessage() for r in caplog.records for s in secrets)


def test_school_without_a_key_is_named(settings, tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"101": "k1"}))
    api = DeansListAPI(settings.deanslist.model_copy(update={"keys_file": path}))
    with (
        pytest.raises(DeansListError, match="has no key for school\\(s\\) 102"),
        api.connect([101, 102]),
    ):
        pass


def test_failed_load_keeps_the_previous_table(sandbox, settings, tmp_path):
    """The last school's key is refused after the others were read: nothing lands."""
    location, config = "kippnewark", DeansListConfig(schools=_schools("kippnewark"))
    assets = build_deanslist_assets(location, config)
    resources = {**shared_resources(settings), "deanslist": _api(settings)}
    materialize(assets, resources=resources, instance=DagsterInstance.ephemeral())
    before = _count(settings, "kippnewark_deanslist.behavior")
    landed = settings.landing.root / "kippnewark" / "deanslist" / "behavior" / "data.parquet"
    good = landed.read_bytes()

    path, _ = _wrong_keys(settings, tmp_path, str(config.schools[-1]))
    api = DeansListAPI(settings.deanslist.model_copy(update={"keys_file": path}))
    result = materialize(
        assets,
        resources={**resources, "deanslist": api},
        instance=DagsterInstance.ephemeral(),
        raise_on_error=False,
    )
    assert not result.success
    assert _count(settings, "kippnewark_deanslist.behavior") == before > 0
    assert landed.read_bytes() == good
    assert [p.name for p in landed.parent.iterdir()] == ["data.parquet"]  # no partial file


def test_a_bad_value_names_school_row_and_field():
    row = {
        "DLSAID": 7,
        "StudentSchoolID": "1001",
        "SchoolID": 101,
        "BehaviorDate": "10/05/2026",
        "Behavior": "Teamwork",
        "BehaviorCategory": "Positive",
        "PointValue": 2,
    }
    good = {**row, "BehaviorDate": "2026-10-05"}
    assert to_batch("behavior", 101, [good]).to_pylist()[0]["point_value"] == 2
    with pytest.raises(
        DeansListError,
        match=r"school 101, row 2 \(DLSAID 7\), field 'BehaviorDate': '10/05/2026' is not a "
        r"valid date",
    ):
        to_batch("behavior", 101, [{**row, "BehaviorDate": "2026-10-04"}, row])
    with pytest.raises(DeansListError, match="field 'PointValue' is missing"):
        to_batch("behavior", 101, [{k: v for k, v in good.items() if k != "PointValue"}])
