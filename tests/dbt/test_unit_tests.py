"""dbt unit tests (``unit_tests:`` in the projects' YAML) run as CI runs them.

A unit test runs a model's SQL on fixture rows written in the YAML, so it holds cases
the sandbox's generator never makes (half-time students, codes that do not count,
exactly 10% absent, names in any script). dbt types each fixture from the relation it
stands for, so the direct parents of every tested model must exist: they are built
empty (``dbt run --empty``) on a scratch DuckDB warehouse, over empty raw tables of
exactly what the ingestion assets land. Nothing is downloaded: the shared packages are
local.

- kippnewark runs the powerschool package's unit tests (one installing project is
  enough: every region builds the same SQL) and any of its own;
- kipptaf runs its own. It reads every region: the regions build the same packages,
  so kippnewark's empty relations, copied under the other regions' datasets, stand in
  for theirs.

Each run must pass every unit test, and run exactly the ones the YAML declares: one
dbt leaves out (disabled, or its model disabled) fails here.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pytest
import yaml

from sandbox.expected.powerschool import name_part as web_id_part
from sandbox.expected.powerschool import student_web_id as web_id
from support import make_data_dir, web_id_expression
from teamster.libraries.dbt.resources import (
    PROFILES_DIR,
    _local_packages,
    dbt_executable,
    prepare,
    project_dir,
    run_dbt,
)

# the projects whose `dbt test --select test_type:unit` CI runs
PROJECTS = ("kippnewark", "kipptaf")
PACKAGES = ("powerschool", "deanslist", "iready")
OTHER_REGIONS = ("kippcamden", "kippmiami", "kipppaterson")


def _landed_schema(package: str, table: str) -> pa.Schema:
    """The columns an ingestion asset lands for a package's raw table."""
    if package == "powerschool":
        from teamster.libraries.powerschool.sis.schema import arrow_schema

        return arrow_schema(table)
    if package == "deanslist":
        from teamster.libraries.deanslist.schema import arrow_schema

        return arrow_schema(table)
    if package == "iready":
        from teamster.libraries.iready.schema import SCHEMA

        return SCHEMA
    raise KeyError(package)


def declared_unit_tests(project: str) -> set[tuple[str, str]]:
    """(model, unit test) of every unit test in the YAML of ``project`` and of the local
    packages it installs."""
    root = project_dir(project)
    declared = set()
    for folder in [root, *_local_packages(root)]:
        for path in sorted((folder / "models").rglob("*.yml")):
            for test in (yaml.safe_load(path.read_text()) or {}).get("unit_tests") or []:
                declared.add((test["model"], test["name"]))
    return declared


class Scratch:
    """A scratch warehouse and the dbt target folders of the projects run on it."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.warehouse = work / "warehouse.duckdb"
        self.compiled: dict[str, Any] = {}
        self.env = {
            **os.environ,
            "TEAMSTER_DBT_TARGET": "local",
            "TEAMSTER_DUCKDB_PATH": str(self.warehouse),
        }

    def args(self, project: str) -> list[str]:
        return [
            "--project-dir",
            str(project_dir(project)),
            "--target-path",
            str(self.work / project / "target"),
            "--log-path",
            str(self.work / project / "logs"),
        ]

    def run(self, project: str, *args: str) -> None:
        run_dbt([*args, *self.args(project)], self.work, self.env, project)

    def unit_tests(self, project: str) -> tuple[subprocess.CompletedProcess, list[dict]]:
        """``dbt test --select test_type:unit`` and its results."""
        results = self.work / project / "target" / "run_results.json"
        results.unlink(missing_ok=True)
        done = subprocess.run(
            [
                dbt_executable(),
                *("test", "--select", "test_type:unit", *self.args(project)),
                *("--profiles-dir", str(PROFILES_DIR)),
            ],
            cwd=self.work,
            env=self.env,
            capture_output=True,
            text=True,
        )
        assert results.exists(), done.stdout[-4000:] + done.stderr[-4000:]
        return done, json.loads(results.read_text())["results"]

    def manifest(self, project: str) -> dict[str, Any]:
        return json.loads((self.work / project / "target" / "manifest.json").read_text())


def _land_empty_raw_tables(warehouse: Path, manifest: dict[str, Any]) -> None:
    with duckdb.connect(str(warehouse)) as con:
        for source in manifest["sources"].values():
            if source["package_name"] not in PACKAGES:
                continue  # kipptaf's extracts, which the region only wraps
            schema, table = source["schema"], source["identifier"]
            landed = pa.Table.from_pylist([], schema=_landed_schema(source["package_name"], table))
            con.execute(f'create schema if not exists "{schema}"')
            con.register("landed", landed)
            con.execute(f'create table "{schema}"."{table}" as select * from landed')
            con.unregister("landed")


def _copy_region(warehouse: Path, region: str) -> None:
    """kippnewark's package relations, empty, as ``region``'s."""
    with duckdb.connect(str(warehouse)) as con:
        for package in PACKAGES:
            con.execute(f'create schema "{region}_{package}"')
            for (table,) in con.execute(
                "select table_name from information_schema.tables where table_schema = ?",
                [f"kippnewark_{package}"],
            ).fetchall():
                con.execute(
                    f'create table "{region}_{package}"."{table}" as '
                    f'select * from "kippnewark_{package}"."{table}" limit 0'
                )


@pytest.fixture(scope="module")
def scratch() -> Iterator[Scratch]:
    """The tested models' parents, built empty: every model of kippnewark's packages
    (kipptaf reads them, in every region), then kipptaf's ancestors of its tested
    models."""
    work = make_data_dir("teamster-dbt-unit-")
    try:
        box = Scratch(work)
        manifest = json.loads(prepare("kippnewark").read_text())  # installs the packages
        _land_empty_raw_tables(box.warehouse, manifest)
        packages = " ".join(f"package:{p}" for p in PACKAGES)
        box.run("kippnewark", "run", "--empty", "--select", packages)
        for region in OTHER_REGIONS:
            _copy_region(box.warehouse, region)
        box.run("kipptaf", "run", "--empty", "--select", "+test_type:unit")
        # the models as this run compiled them (each later dbt command rewrites it)
        box.compiled = box.manifest("kipptaf")
        yield box
    finally:
        shutil.rmtree(work, ignore_errors=True)


@pytest.mark.parametrize("project", PROJECTS)
def test_every_declared_unit_test_runs_and_passes(scratch: Scratch, project: str) -> None:
    done, results = scratch.unit_tests(project)
    outcome = {r["unique_id"]: r["status"] for r in results}
    failed = {
        unique_id: next(r["message"] for r in results if r["unique_id"] == unique_id)
        for unique_id, status in outcome.items()
        if status != "pass"
    }
    assert not failed, f"{failed}\n{done.stdout[-6000:]}"
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    # unit_test.<package>.<model>.<name>
    ran = {tuple(unique_id.split(".")[2:]) for unique_id in outcome}
    declared = declared_unit_tests(project)
    assert declared, f"{project} declares no unit test: the check would check nothing"
    assert ran == declared, {"not run": declared - ran, "not declared": ran - declared}
    assert len(results) == len(declared)


def test_the_unit_tests_cover_the_models_with_logic() -> None:
    tested = {model for project in PROJECTS for model, _ in declared_unit_tests(project)}
    assert tested >= {
        "int_powerschool__daily_attendance",  # ADA/ADM by day, attendance_through_date
        "int_powerschool__school_attendance",  # ADA, chronic absence
        "int_powerschool__student_enrollments",  # fall_year
        "int_powerschool__grades",
        "int_powerschool__gpa",  # the union macro's, in kipptaf
        "rpt_powerschool__autocomm_students",  # web ids
        "fct_behavior",  # kipptaf's fall_year
    }


# --- web ids: the expectations and both warehouses' SQL against the Python rule -------


def _web_id_unit_tests() -> list[dict[str, Any]]:
    path = project_dir("kipptaf") / "models/extracts/powerschool/_powerschool__unit_tests.yml"
    tests = yaml.safe_load(path.read_text())["unit_tests"]
    return [t for t in tests if t["model"] == "rpt_powerschool__autocomm_students"]


def test_web_id_expectations_are_the_python_rule() -> None:
    """The web ids the unit tests expect are what the rule gives in Python, not
    whatever the SQL printed: every expected row, from its fixture's names."""
    checked = 0
    for test in _web_id_unit_tests():
        given = {g["input"]: g["rows"] for g in test["given"]}
        names = {
            (s["code_location"], s["student_number"]): (s.get("first_name"), s.get("last_name"))
            for s in given["ref('int_powerschool__students')"]
        }
        for row in test["expect"]["rows"]:
            first, last = names[(row["code_location"], row["student_number"])]
            expected = web_id(first, last, row["student_number"])
            assert row["student_web_id"] == expected, (first, last)
            assert row["parent_web_id"] == expected + ".family"
            checked += 1
    assert checked >= 15


def test_web_id_fixtures_hold_the_names_real_rosters_hold() -> None:
    """The fixture keeps a name of every kind the rule must handle."""
    names = [
        name
        for test in _web_id_unit_tests()
        for given in test["given"]
        if given["input"] == "ref('int_powerschool__students')"
        for row in given["rows"]
        for name in (row.get("first_name"), row.get("last_name"))
    ]
    kinds = {
        "space": lambda n: " " in n,
        "hyphen": lambda n: "-" in n,
        "apostrophe": lambda n: "'" in n,
        "period": lambda n: "." in n,
        "accent": lambda n: web_id_part(n) != web_id_part(n.encode("ascii", "ignore").decode()),
        "no Latin letter": lambda n: n and not web_id_part(n),
        "near 50 characters": lambda n: len(n) >= 40,
    }
    present = {kind for kind, test in kinds.items() for n in names if n and test(n)}
    assert present == set(kinds)
    assert None in names and "" in names  # no first name, an empty one


def _every_code_point() -> list[str]:
    return [chr(c) for c in range(1, 0x110000) if not 0xD800 <= c <= 0xDFFF]


def test_duckdb_web_ids_are_the_python_rule_for_every_character(scratch: Scratch) -> None:
    """The DuckDB SQL kipptaf runs for ``student_web_id`` (from its compiled model),
    on every name in sandbox.names and on every Unicode character between two letters,
    gives exactly the Python rule's web id."""
    from sandbox import names

    node = scratch.compiled["nodes"]["model.kipptaf.rpt_powerschool__autocomm_students"]
    expression = web_id_expression(node["compiled_code"], "duckdb")
    firsts = (*names.PLAIN_FIRST, *names.MESSY_FIRST)
    people = [(first, last) for first in firsts for last in names.MESSY_LAST]
    people += [(f, None) for f in names.MESSY_FIRST] + [(None, "O'Brien"), ("", "")]
    people += [(f"x{c}y", f"a{c}b") for c in _every_code_point()]
    rows = pa.table(
        {
            "first_name": [p[0] for p in people],
            "last_name": [p[1] for p in people],
            "student_number": list(range(len(people))),
        }
    )
    with duckdb.connect() as con:
        con.register("people", rows)
        got = con.execute(
            f"select {expression} from people as s order by s.student_number"
        ).fetchall()
    wrong = [
        (first, last, actual)
        for (first, last), number, (actual,) in zip(people, range(len(people)), got, strict=True)
        if actual != web_id(first, last, number)
    ]
    assert wrong == []


def test_docs_count_the_unit_tests_per_model() -> None:
    """docs/dbt.md's table of unit tests has each tested model with its number."""
    from collections import Counter

    from test_docs import DOCS, table_under

    declared = Counter(
        (project, model) for project in PROJECTS for model, _ in declared_unit_tests(project)
    )
    documented: Counter = Counter()
    project = None
    for row in table_under((DOCS / "dbt.md").read_text(), "Unit tests"):
        if row["file"]:
            project = "kippnewark" if row["file"].startswith("`powerschool/") else "kipptaf"
        documented[(project, row["model"].strip("`"))] += int(row["unit tests"])
    assert documented == declared
