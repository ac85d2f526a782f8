"""PowerSchool Enrollment as teamster reads it, as the sandbox serves it, and as kipptaf's
staging models select it: all three held to what the real Enrollment API sends
(tests/data/vendor_schemas/powerschool_enrollment.yaml, sources in the README beside it).

- the library: the record fields and paging metadata it looks up are observed on real
  answers (wrapped so every lookup by name is recorded), and the paths and query
  parameters it sends are read from httpx's request log;
- the sandbox: every answer of its Enrollment server is walked member by member and
  each value's JSON type checked (a form's answers, ``dataItems``, are a map: its member
  names are the form's own, its values must be text);
- dbt: kipptaf's Enrollment staging models are compiled and their columns resolved
  against the tables the library lands.

``test_the_checks_catch_an_invented_field`` gives each comparison a made-up difference,
so a check that could never fail would show.
"""

from __future__ import annotations

import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import yaml
from fidelity.json_paths import Recording, unreal, walk

from sandbox import generator
from sandbox.http import start_http
from sandbox.vendors import enrollment as sandbox_enrollment
from support import compiled_models, make_data_dir, staging_error
from teamster.core.settings import EnrollmentAPISettings
from teamster.libraries.powerschool.enrollment.resources import EnrollmentAPI, read_page
from teamster.libraries.powerschool.enrollment.schema import (
    ACTION_FIELDS,
    ACTIONS_SCHEMA,
    RECORD_FIELDS,
    RECORDS_SCHEMA,
    to_batch,
)

REPO = Path(__file__).resolve().parents[2]
REFERENCE = yaml.safe_load(
    (REPO / "tests/data/vendor_schemas/powerschool_enrollment.yaml").read_text()
)
ENDPOINTS = REFERENCE["endpoints"]
ROW_FIELDS = {"published_actions": ACTION_FIELDS, "submission_records": RECORD_FIELDS}


# --- the reference and its comparisons -----------------------------------------------------


def reference_fields(endpoint: str) -> dict[str, str]:
    return dict(ENDPOINTS[endpoint]["fields"])


def _maps(endpoint: str) -> set[str]:
    return {path for path, kind in reference_fields(endpoint).items() if kind == "map"}


# --- a sandbox Enrollment API ------------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    """The sandbox's Enrollment API of a small district, on its own HTTP server."""
    district = generator.generate(seed=7, scale=0.05)
    root = make_data_dir("teamster-fidelity-enrollment-")
    sandbox_enrollment.publish(district, root)
    server = start_http("enrollment", 0, root)
    try:
        key_file = root / "secrets" / sandbox_enrollment.KEY_FILE
        yield {
            "url": f"http://127.0.0.1:{server.port}",
            "key_file": key_file,
            "auth": (key_file.read_text().strip(), ""),
        }
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _get(served: dict[str, Any], path: str, **params: Any) -> Any:
    response = httpx.get(f"{served['url']}/api{path}", params=params, auth=served["auth"])
    assert response.status_code == 200, response.text
    return response.json()


def _actions(served: dict[str, Any]) -> list[dict]:
    return _get(served, ENDPOINTS["published_actions"]["path"])


def _record_pages(served: dict[str, Any], pagesize: int = 25) -> Iterator[dict]:
    for action in _actions(served):
        path = ENDPOINTS["submission_records"]["path"].replace("{id}", str(action["id"]))
        page, pages = 1, 1
        while page <= pages:
            body = _get(served, path, page=page, pagesize=pagesize)
            pages = body["metadata"]["pageCount"]
            yield body
            page += 1


# --- (a) the library ----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", sorted(ROW_FIELDS))
def test_the_library_declares_only_real_fields(endpoint):
    invented = {f.field for f in ROW_FIELDS[endpoint]} - set(reference_fields(endpoint))
    assert not invented, f"{endpoint}: the API sends no field(s) {sorted(invented)}"


def test_the_library_reads_only_real_fields(served):
    answer_log: set[str] = set()
    reads: dict[str, set[str]] = {"published_actions": set(), "submission_records": set()}
    actions = _actions(served)
    to_batch([Recording(a, reads["published_actions"]) for a in actions], ACTION_FIELDS, "here")
    records = 0
    for body in _record_pages(served):
        page = read_page(Recording(body, answer_log), "here")
        rows = [Recording(r, reads["submission_records"]) for r in body["records"]]
        to_batch(rows, RECORD_FIELDS, "here")
        records += len(page.records)
    assert records, "the sandbox served records"
    for endpoint, fields in reads.items():
        invented = fields - set(reference_fields(endpoint))
        assert not invented, f"{endpoint}: the library reads field(s) {sorted(invented)}"
    answer = set(ENDPOINTS["submission_records"]["answer"])
    assert not answer_log - answer, f"paging: the library reads {sorted(answer_log - answer)}"
    assert answer_log == {"metadata.pageCount", "metadata.recordCount"}  # by shape, not name


def test_the_library_sends_only_real_paths_and_parameters(served, caplog):
    caplog.set_level(logging.INFO, logger="httpx")
    api = EnrollmentAPI(
        settings=EnrollmentAPISettings(base_url=served["url"], api_key_file=str(served["key_file"]))
    )
    with api.connect() as session:
        action = session.published_actions()[0]["id"]
        assert sum(len(p) for p in session.submission_records(action, page_size=10))
        session.record_count(action)
    urls = [
        urlsplit(m[1])
        for r in caplog.records
        if (m := re.search(r"HTTP Request: GET (\S+)", r.getMessage()))
    ]
    assert len(urls) > 2, "httpx logged the requests"
    templates = {
        re.compile("/api" + re.escape(e["path"]).replace(r"\{id\}", "[0-9]+")): e
        for e in ENDPOINTS.values()
    }
    for url in urls:
        [endpoint] = [e for t, e in templates.items() if t.fullmatch(url.path)] or [None]
        assert endpoint is not None, f"the API has no endpoint {url.path}"
        sent = set(parse_qs(url.query, keep_blank_values=True))
        invented = sent - set(endpoint["query_parameters"])
        assert not invented, f"{url.path}: the API takes no parameter(s) {sorted(invented)}"


# --- (b) the sandbox ----------------------------------------------------------------------


def test_the_sandbox_serves_only_real_fields(served):
    actions = _actions(served)
    assert isinstance(actions, list) and actions, "a plain, non-empty list"
    values = [v for a in actions for v in walk(a, set())]
    reference = reference_fields("published_actions")
    assert not unreal(values, reference), f"published actions: {unreal(values, reference)}"

    answer = ENDPOINTS["submission_records"]["answer"]
    reference = reference_fields("submission_records")
    members: list[tuple[str, Any]] = []
    rows: list[tuple[str, Any]] = []
    for body in _record_pages(served):
        members += [
            (p, v) for p, v in walk({k: v for k, v in body.items() if k != "records"}, set())
        ]
        members.append(("records", body["records"]))
        for record in body["records"]:
            rows += list(walk(record, _maps("submission_records")))
    assert rows, "the sandbox served records"
    assert not unreal(members, answer), f"records answer: {unreal(members, answer)}"
    assert not unreal(rows, reference), f"records: {unreal(rows, reference)}"


def test_the_sandbox_errors_in_the_vendors_shape(served):
    response = httpx.get(f"{served['url']}/api/v1/publishedactions", auth=("nobody", ""))
    assert response.status_code == 401
    assert not unreal(list(walk(response.json(), set())), REFERENCE["error_answer"])


# --- (c) dbt staging ----------------------------------------------------------------------

LANDED = {"published_actions": ACTIONS_SCHEMA, "submission_records": RECORDS_SCHEMA}
DATASET = "kipptaf_powerschool_enrollment"


@pytest.fixture(scope="module")
def compiled_staging(compiled_manifests) -> dict[str, str]:
    """kipptaf's staging models over the Enrollment tables, compiled."""
    return {
        name: sql
        for name, sql in compiled_models(compiled_manifests["kipptaf"]).items()
        if name.startswith("stg_powerschool_enrollment__")
    }


def test_every_landed_table_has_a_staging_model(compiled_staging):
    assert set(compiled_staging) == {f"stg_powerschool_enrollment__{t}" for t in LANDED}


@pytest.mark.parametrize("table", sorted(LANDED))
def test_staging_reads_only_landed_columns(compiled_staging, table):
    model = f"stg_powerschool_enrollment__{table}"
    error = staging_error(compiled_staging[model], DATASET, table, LANDED[table])
    assert error is None, f"{model} does not run on what is landed: {error}"


# --- the checks can fail ------------------------------------------------------------------


def test_the_checks_catch_an_invented_field(served):
    body = next(_record_pages(served))
    record = {**body["records"][0], "grade_applying": 3, "dataItems": {"Q1": 2}, "id": "7"}
    assert unreal(
        list(walk(record, _maps("submission_records"))), reference_fields("submission_records")
    ) == {
        "grade_applying": "not a field of the real API",
        "dataItems": "object, the real API sends map",
        "id": "string, the real API sends integer",
    }
    log: set[str] = set()
    Recording(record, log).get("grade_applying")
    assert log - set(reference_fields("submission_records")) == {"grade_applying"}
    sql = f"select id, name from warehouse.{DATASET}.published_actions"
    error = staging_error(sql, DATASET, "published_actions", ACTIONS_SCHEMA)
    assert error is not None and '"name"' in error
