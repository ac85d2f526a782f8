"""kipptaf's PowerSchool marts, student filters and AutoComm extracts, value by value.

The session's demo (seed 11, scale 0.08, caught up one day) against
``sandbox.expected.powerschool``: each relation's every row, key by key and column by
column (rates to 1e-9), and each AutoComm file the demo pushed to a region's inbox
against the file rendered from the same truth.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from shared_demo import DemoRun
from truth.compare import assert_matches

from sandbox.expected import Expected, district_of
from sandbox.expected.powerschool import (
    AUTOCOMM_STUDENTS,
    AUTOCOMM_STUDENTS_IEP,
    AUTOCOMM_TEACHERS,
    RELATIONS,
    tables,
)
from teamster import code_locations
from teamster.core.regions import AUTOCOMM_REGIONS

CONFIG = Path(code_locations.__file__).parent  # <region>/config/autocomm.yaml
# the extract each AutoComm file renders, by the wrapper model's name in autocomm.yaml
EXTRACTS = {
    relation.split(".")[1]: relation
    for relation in (AUTOCOMM_STUDENTS, AUTOCOMM_TEACHERS, AUTOCOMM_STUDENTS_IEP)
}
SHOWN = 5


@pytest.fixture(scope="module")
def expected(demo_run: DemoRun) -> dict[str, Expected]:
    """Every covered relation's rows, for the district the demo's sandbox serves now."""
    first = demo_run.first
    assert first is not None and first.returncode == 0, first and first.stderr[-3000:]
    district = district_of(demo_run.data_dir / "sandbox")
    return {e.relation: e for e in tables(district)}


@pytest.fixture(scope="module")
def warehouse(demo_run: DemoRun, expected) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(demo_run.data_dir / "warehouse.duckdb"), read_only=True) as con:
        yield con


@pytest.mark.parametrize("relation", RELATIONS)
def test_relation_matches_truth(relation: str, expected, warehouse):
    assert_matches(warehouse, [expected[relation]])


# --- the files PowerSchool imports ------------------------------------------------------


def _cell(value: Any) -> str:
    """AutoComm's text for a value: dates MM/DD/YYYY, booleans 1/0, nothing for null."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.strftime("%m/%d/%Y")
    return str(value)


def autocomm_lines(extract: Expected, region: str) -> list[bytes]:
    """The region's file from the truth: a header of the column names (the region
    column is the network's, not the file's), one tab-delimited line per row, each
    ended by a line feed, in UTF-8."""
    columns = [c for c in extract.columns if c != "code_location"]
    at = [extract.columns.index(c) for c in columns]
    region_at = extract.columns.index("code_location")
    lines = ["\t".join(columns)] + [
        "\t".join(_cell(row[i]) for i in at) for row in extract.rows if row[region_at] == region
    ]
    return [(line + "\n").encode("utf-8") for line in lines]


def _files(region: str) -> list[tuple[str, str]]:
    """(file name, extract) per file the region's autocomm.yaml pushes."""
    config = yaml.safe_load((CONFIG / region / "config" / "autocomm.yaml").read_text())
    return [(f["file"], EXTRACTS[f["model"]]) for f in config["files"]]


@pytest.mark.parametrize("region", AUTOCOMM_REGIONS)
def test_pushed_autocomm_files_match_truth(region: str, expected, demo_run: DemoRun):
    """Each pushed file holds exactly the truth's lines, byte for byte; the order of the
    data lines is not part of the format (PowerSchool matches rows by their ids)."""
    inbox = demo_run.data_dir / "sandbox" / "sftp" / "autocomm" / region
    files = _files(region)
    assert sorted(p.name for p in inbox.iterdir()) == sorted(name for name, _ in files)
    for name, relation in files:
        data = (inbox / name).read_bytes()
        header, *rows = data.splitlines(keepends=True)
        want_header, *want_rows = autocomm_lines(expected[relation], region)
        assert want_rows, f"{region}/{name}: the truth has no rows"
        assert header == want_header, (region, name, header, want_header)
        missing = Counter(want_rows) - Counter(rows)
        extra = Counter(rows) - Counter(want_rows)
        assert not missing and not extra, (
            f"{region}/{name}: {sum(missing.values())} lines missing, e.g. "
            f"{list(missing)[:SHOWN]}; {sum(extra.values())} not in the truth, e.g. "
            f"{list(extra)[:SHOWN]}"
        )
