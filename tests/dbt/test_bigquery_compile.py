"""Every dbt model compiles for BigQuery: dbt-bigquery against the emulator.

``dbt compile --target prod`` connects (through the adapter, to the BigQuery
emulator), renders every model with the BigQuery branches of the shared macros, and
each compiled model must then parse as GoogleSQL. The models run on the emulator in
the end-to-end prod test; this covers the ones that slice does not build.
"""

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlglot
from sqlglot import exp

from sandbox.expected.powerschool import student_web_id as web_id
from support import compile_project, make_data_dir, web_id_expression

PROJECTS = ["kipptaf", "kippnewark", "kippcamden", "kippmiami", "kipppaterson"]


@pytest.fixture(scope="module")
def bigquery_manifests(cloud):
    work = make_data_dir("teamster-dbt-bigquery-")
    env = {
        "TEAMSTER_DBT_TARGET": "prod",
        "TEAMSTER_GCP_PROJECT": cloud.project,
        "TEAMSTER_BIGQUERY_API_ENDPOINT": cloud.bigquery,
    }

    def compile_one(name: str) -> dict:
        # connected: dbt-bigquery lists the emulator's datasets and relations first
        return compile_project(name, work, env, [])

    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            yield dict(zip(PROJECTS, pool.map(compile_one, PROJECTS), strict=True))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _models(manifest: dict) -> dict[str, str]:
    return {
        node["unique_id"]: node["compiled_code"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("enabled", True)
    }


@pytest.mark.parametrize("project", PROJECTS)
def test_every_model_compiles_to_googlesql(bigquery_manifests, project):
    manifest = bigquery_manifests[project]
    assert manifest["metadata"]["adapter_type"] == "bigquery"
    models = _models(manifest)
    assert models
    failures = {}
    for unique_id, sql in models.items():
        try:
            sqlglot.parse(sql, read="bigquery")
        except sqlglot.errors.ParseError as e:
            failures[unique_id] = str(e)[:300]
        # relations are project.dataset.table, in backticks: BigQuery's, not DuckDB's
        assert '"' + project not in sql, unique_id
    assert not failures, failures


def test_bigquery_branches_of_the_shared_macros_are_taken(bigquery_manifests):
    newark = _models(bigquery_manifests["kippnewark"])
    students = newark["model.powerschool.stg_powerschool__students"]
    # local_timestamp: DATETIME -> TIMESTAMP in the region's zone, BigQuery's way
    assert "timestamp(cast(transaction_date as datetime), 'America/New_York')" in students
    attendance = newark["model.powerschool.int_powerschool__daily_attendance"]
    # attendance_through_date in prod: capped at the region's today
    assert "current_date('America/New_York')" in attendance
    doubles = [sql for sql in newark.values() if "float64" in sql]
    assert doubles, "type_double renders BigQuery's float64"
    for sql in newark.values():
        assert "timezone('UTC'" not in sql  # the DuckDB branch
    kipptaf = _models(bigquery_manifests["kipptaf"])
    enrollment = kipptaf["model.kipptaf.rpt_tableau__enrollment"]
    # local_date: a UTC timestamp's day on the network's clock, BigQuery's way
    assert "date(r.submitted_at, 'America/New_York')" in enrollment


def _string(value: str | None) -> str:
    return "cast(null as string)" if value is None else exp.Literal.string(value).sql("bigquery")


def test_web_ids_on_bigquery_are_the_python_rule(bigquery_manifests, cloud):
    """The GoogleSQL kipptaf compiles for ``student_web_id`` (NFD, lower case, a-z and
    0-9 kept: macros/web_id_part.sql), run by the emulator on every name in
    sandbox.names and on names the generator never makes, gives the Python rule's web
    id. The unit tests check the DuckDB side (tests/dbt/test_unit_tests.py)."""
    from sandbox import names
    from teamster.core.google import bigquery_client

    kipptaf = _models(bigquery_manifests["kipptaf"])
    expression = web_id_expression(
        kipptaf["model.kipptaf.rpt_powerschool__autocomm_students"], "bigquery"
    )
    assert "NORMALIZE(" in expression  # BigQuery's branch of the macro
    people = [(first, last) for first in names.MESSY_FIRST for last in names.MESSY_LAST]
    people += [
        (first, names.PLAIN_LAST[i % len(names.PLAIN_LAST)])
        for i, first in enumerate(names.PLAIN_FIRST)
    ]
    people += [("Rene\u0301e", "O\u2019Hara"), ("\ufb01ona", "\uff2a\uff4f\uff4e\uff45\uff53")]
    people += [(None, "St. Louis"), ("", "de Jes\u00fas"), ("\u0130lker", "Stra\u00dfe")]
    people += [(None, None)]
    rows = ", ".join(
        f"struct({_string(first)} as first_name, {_string(last)} as last_name, "
        f"{number} as student_number)"
        for number, (first, last) in enumerate(people)
    )
    client = bigquery_client(cloud.project, "US", cloud.bigquery)
    query = f"select s.student_number, {expression} as web_id from unnest([{rows}]) as s"
    got = {number: web for number, web in client.query(query).result()}
    assert len(got) == len(people)
    wrong = {
        number: (first, last, got[number])
        for number, (first, last) in enumerate(people)
        if got[number] != web_id(first, last, number)
    }
    assert wrong == {}
