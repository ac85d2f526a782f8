"""kipptaf's network marts and Tableau extracts against the sandbox's truth, row by row.

The session's demo run (``demo_run``: seed 11, scale 0.08, loaded and then caught up one
day) is compared with ``sandbox.expected.network``: every key, every value, rates to
1e-9. The Tableau extract files the workbooks published are compared with the same
truth, and their totals too. Each comparison also proves it can fail: a truth with one
value changed, in each compared column, must be reported.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from shared_demo import DemoRun
from truth.compare import assert_matches, differences

from sandbox.expected import Expected, district_of, network
from teamster.core.settings import Settings, load_settings
from teamster.libraries.tableau.assets import load_tableau_config

TABLEAU_CONFIG = (
    Path(__file__).parents[2] / "src/teamster/code_locations/kipptaf/config/tableau.yaml"
)
EXTRACTS = [m for m in network.MODELS if m.startswith("rpt_tableau__")]
# what a workbook's reader adds up: each extract's counts
TOTALS = {
    "rpt_tableau__assessments": ["is_most_recent", "is_on_grade_level", "overall_scale_score"],
    "rpt_tableau__attendance": [
        "students",
        "students_present",
        "students_absent",
        "students_tardy",
    ],
    "rpt_tableau__enrollment": ["enrolled_students", "submissions", "students_submitted"],
}


@dataclasses.dataclass(frozen=True)
class Demo:
    settings: Settings
    district: Any  # sandbox.generator.District


@pytest.fixture(scope="module")
def demo(demo_run: DemoRun) -> Demo:
    first = demo_run.first
    assert first is not None and first.returncode == 0, first and first.stderr[-3000:]
    settings = load_settings({"TEAMSTER_ENV": "local", "TEAMSTER_DATA_DIR": str(demo_run.data_dir)})
    return Demo(settings, district_of(demo_run.data_dir / "sandbox"))


def _changed(value: Any) -> Any:
    """Another value of the same type, off by more than the tolerance."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | Decimal):
        return value + 1
    if isinstance(value, float):
        return value + 1e-6
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, dt.datetime):
        return value + dt.timedelta(seconds=1)
    if isinstance(value, dt.date):
        return value + dt.timedelta(days=1)
    raise TypeError(f"no other value for {value!r}")


def _can_fail(con: duckdb.DuckDBPyConnection, expected: Expected) -> None:
    """In each compared column, a truth with one value changed is reported (one row
    dropped, for the key): a column that compared equal whatever it held would show."""
    fewer = dataclasses.replace(expected, rows=expected.rows[1:])
    assert differences(con, fewer), f"{expected.relation}: a missing row went unnoticed"
    for i, column in enumerate(expected.columns[expected.key :], start=expected.key):
        k = next((n for n, row in enumerate(expected.rows) if row[i] is not None), None)
        if k is None:
            continue  # never set in this district: nothing to change
        rows = list(expected.rows)
        rows[k] = (*rows[k][:i], _changed(rows[k][i]), *rows[k][i + 1 :])
        wrong = dataclasses.replace(expected, rows=rows)
        assert differences(con, wrong), f"{expected.relation}.{column}: a wrong value passed"


@pytest.mark.parametrize("model", list(network.MODELS))
def test_mart_matches_truth(demo: Demo, model: str) -> None:
    expected = network.MODELS[model](demo.district)
    path = demo.settings.warehouse.path
    with duckdb.connect(str(path), read_only=True) as con:
        assert_matches(con, [expected])
        _can_fail(con, expected)


def _extract(settings: Settings, model: str) -> Path:
    """The file a workbook published for ``model``: <tableau root>/<workbook id>/."""
    config = load_tableau_config(TABLEAU_CONFIG)
    [workbook] = [w for w in config.workbooks if model in w.models]
    return Path(settings.tableau.root) / workbook.id / f"{model}.parquet"


@pytest.mark.parametrize("model", EXTRACTS)
def test_published_extract_matches_truth(demo: Demo, model: str) -> None:
    expected = network.MODELS[model](demo.district)
    path = _extract(demo.settings, model)
    assert path.is_file(), f"the workbook published no {path}"
    published = dataclasses.replace(expected, relation=f"read_parquet('{path}')")
    with duckdb.connect() as con:
        assert_matches(con, [published])
        row = con.execute(
            "select count(*), "
            + ", ".join(f"sum(cast({c} as bigint))" for c in TOTALS[model])
            + f" from {published.relation}"
        ).fetchone()
    assert row is not None
    index = {c: i for i, c in enumerate(expected.columns)}
    want = [len(expected.rows)] + [
        sum(int(r[index[c]]) for r in expected.rows if r[index[c]] is not None)
        for c in TOTALS[model]
    ]
    names = ["rows", *TOTALS[model]]
    assert list(row) == want, dict(zip(names, zip(row, want, strict=True), strict=True))
