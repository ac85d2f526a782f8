"""DeansList as teamster reads it, as the sandbox serves it, and as the dbt staging
models select it: all three held to what the real DeansList API sends
(tests/data/vendor_schemas/deanslist.yaml, sources in the README beside it).

- the library: the fields, answer members and query parameters it reads and sends are
  observed (rows wrapped so every key it looks up is recorded; httpx's request log),
  not taken from its declarations alone;
- the sandbox: every answer of its DeansList server, with every option on, is walked
  member by member, nested ones included, and each value's JSON type is checked;
- dbt: the package's staging models are compiled and their columns resolved against
  the table the library lands, so a column nobody lands is named.

Each comparison is itself tried on a made-up difference (``test_*_catch_*``), so a
check that could never fail would show.
"""

from __future__ import annotations

import datetime as dt
import json
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
from sandbox.vendors import deanslist as sandbox_deanslist
from support import compiled_models, make_data_dir, staging_error
from teamster.core.settings import DeansListSettings
from teamster.libraries.deanslist.config import DeansListConfig, DeansListSchool
from teamster.libraries.deanslist.resources import DeansListAPI, Window, read_incidents, read_page
from teamster.libraries.deanslist.schema import FIELDS, arrow_schema, to_batch

REPO = Path(__file__).resolve().parents[2]
REFERENCE = yaml.safe_load((REPO / "tests/data/vendor_schemas/deanslist.yaml").read_text())
ENDPOINTS = ("incidents", "behavior")
YEAR = generator.school_year_of(generator.DEFAULT_AS_OF)


# --- the reference ------------------------------------------------------------------------


def reference_fields(endpoint: str) -> dict[str, str]:
    """Every field path of an endpoint's rows and its type, date objects expanded."""
    out: dict[str, str] = {}
    for path, kind in REFERENCE["endpoints"][endpoint]["fields"].items():
        out[path] = "object" if kind in REFERENCE["types"] else kind
        for member, member_kind in REFERENCE["types"].get(kind, {}).items():
            out[f"{path}.{member}"] = member_kind
    for path in list(out):  # `A[].b` says A's elements are objects
        for match in re.finditer(r"\[\]\.", path):
            out.setdefault(path[: match.start() + 2], "object")
    return out


def reference_answer(endpoint: str) -> dict[str, str]:
    return REFERENCE["endpoints"][endpoint]["answer"]


# --- a sandbox DeansList ------------------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[dict[str, Any]]:
    """The sandbox's DeansList of a small district, on its own HTTP server."""
    district = generator.generate(seed=7, scale=0.05)
    root = make_data_dir("teamster-fidelity-deanslist-")
    sandbox_deanslist.publish(district, root)
    server = start_http("deanslist", 0, root)
    try:
        keys = json.loads((root / "secrets" / "deanslist_keys.json").read_text())
        yield {
            "url": f"http://127.0.0.1:{server.port}",
            "keys": {int(k): v for k, v in keys.items()},
            "root": root,
            "crosswalk": {
                dl: sandbox_deanslist.school_number_for(dl)
                for schools in district.deanslist.values()
                for dl in schools
            },
        }
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def _answers(served: dict[str, Any], endpoint: str, **params: Any) -> Iterator[Any]:
    """The sandbox's answer for every school, whole year, every option on."""
    everything = {"IncludeDeleted": "Y", "cf": "Y", "attachments": "Y", "page_size": 7}
    for key in served["keys"].values():
        page, pages = 1, 1
        while page <= pages:
            body = httpx.get(
                f"{served['url']}/api{REFERENCE['endpoints'][endpoint]['path']}",
                params={"apikey": key, **everything, **params, "page": page},
            ).json()
            pages = body.get("total_pages", 1)
            yield body
            page += 1


def _config(served: dict[str, Any]) -> DeansListConfig:
    return DeansListConfig(
        timezone="America/New_York",
        schools=[
            DeansListSchool(deanslist_school_id=dl, school_number=n)
            for dl, n in served["crosswalk"].items()
        ],
    )


def _rows(body: dict, endpoint: str) -> list[tuple[list, bool]]:
    lists = ("data", "deleted_data") if endpoint == "incidents" else ("data",)
    return [(body.get(name, []), name == "deleted_data") for name in lists]


# --- (a) the library ----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_library_declares_only_real_fields(endpoint):
    fields = reference_fields(endpoint)
    invented = {f.field for f in FIELDS[endpoint]} - set(fields)
    assert not invented, f"{endpoint}: DeansList sends no field(s) {sorted(invented)}"


def _library_reads(served: dict[str, Any], endpoint: str) -> tuple[set[str], set[str]]:
    """(answer members, row fields) the library looks up when it reads real answers."""
    answer_log: set[str] = set()
    field_log: set[str] = set()
    config = _config(served)
    rows = 0
    for body in _answers(served, endpoint):
        wrapped = Recording(body, answer_log)
        if endpoint == "incidents":
            read_incidents(wrapped, "here")
        else:
            read_page(wrapped, "here")
        for found, deleted in _rows(body, endpoint):
            recorded = [Recording(r, field_log) for r in found]
            rows += len(recorded)
            to_batch(
                endpoint, recorded, where="here", config=config, fiscal_year=YEAR, deleted=deleted
            )
    assert rows, "the sandbox served rows to read"
    return answer_log, field_log


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_library_reads_only_real_fields(served, endpoint):
    answer, fields = _library_reads(served, endpoint)
    invented = fields - set(reference_fields(endpoint))
    assert not invented, (
        f"{endpoint}: the library reads field(s) DeansList lacks: {sorted(invented)}"
    )
    unknown = answer - set(reference_answer(endpoint))
    assert not unknown, f"{endpoint}: the library reads answer member(s) {sorted(unknown)}"


def test_the_library_sends_only_real_paths_and_parameters(served, caplog):
    """What the client puts on the wire, from httpx's own request log."""
    caplog.set_level(logging.INFO, logger="httpx")
    config = _config(served)
    keys = served["root"] / "secrets" / "deanslist_keys.json"
    api = DeansListAPI(settings=DeansListSettings(base_url=served["url"], keys_file=str(keys)))
    school = config.school_ids[0]
    with api.connect([school]) as session:
        session.incidents(school, Window(dt.date(YEAR, 10, 1), dt.date(YEAR, 10, 31)))
        session.behavior(school, Window(dt.date(YEAR, 7, 1), dt.date(YEAR + 1, 6, 30)), 5)
    urls = [
        urlsplit(m[1])
        for r in caplog.records
        if (m := re.search(r"HTTP Request: GET (\S+)", r.getMessage()))
    ]
    assert urls, "httpx logged the requests"
    by_path = {f"/api{e['path']}": e for e in REFERENCE["endpoints"].values()}
    for url in urls:
        assert url.path in by_path, f"DeansList has no endpoint {url.path}"
        sent = set(parse_qs(url.query, keep_blank_values=True))
        invented = sent - set(by_path[url.path]["query_parameters"])
        assert not invented, f"{url.path}: DeansList takes no parameter(s) {sorted(invented)}"


# --- (b) the sandbox ----------------------------------------------------------------------


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_the_sandbox_serves_only_real_fields(served, endpoint):
    fields, answer = reference_fields(endpoint), reference_answer(endpoint)
    members: list[tuple[str, Any]] = []
    values: list[tuple[str, Any]] = []
    for body in _answers(served, endpoint):
        members += [(k, v) for k, v in body.items()]
        for found, _ in _rows(body, endpoint):
            for row in found:
                values += list(walk(row))
    assert values, "the sandbox served rows"
    assert not unreal(members, answer), f"{endpoint} answer: {unreal(members, answer)}"
    assert not unreal(values, fields), f"{endpoint} rows: {unreal(values, fields)}"


def test_the_sandbox_answers_the_real_paths_and_parameters(served):
    school, key = next(iter(served["keys"].items()))
    for endpoint in REFERENCE["endpoints"].values():
        params = {
            "apikey": key,
            "UpdatedSince": f"{YEAR}-07-01",
            "StartDate": f"{YEAR}-07-01",
            "EndDate": f"{YEAR + 1}-06-30",
        }
        params.update({p: "Y" for p in ("IncludeDeleted", "cf", "attachments")})
        params.update(page=1, page_size=10)
        params = {k: v for k, v in params.items() if k in endpoint["query_parameters"]}
        response = httpx.get(f"{served['url']}/api{endpoint['path']}", params=params)
        assert response.status_code == 200, (endpoint["path"], response.text)
        assert set(response.json()) == set(endpoint["answer"]), endpoint["path"]


# --- (c) dbt staging ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def compiled_staging(compiled_manifests) -> dict[str, str]:
    """The deanslist package's staging models, compiled in a regional project."""
    return compiled_models(compiled_manifests["kippnewark"])


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_staging_reads_only_landed_columns(compiled_staging, endpoint):
    sql = compiled_staging[f"stg_deanslist__{endpoint}"]
    error = staging_error(sql, "kippnewark_deanslist", endpoint, arrow_schema(endpoint))
    assert error is None, f"stg_deanslist__{endpoint} does not run on what is landed: {error}"


# --- the checks can fail ------------------------------------------------------------------


def test_the_checks_catch_an_invented_field(served):
    """Each comparison above, given one made-up difference, reports exactly it."""
    body = next(_answers(served, "incidents"))
    row = {**body["data"][0], "IncidentDate": "2026-10-05", "IsActive": "Y"}
    assert unreal(list(walk(row)), reference_fields("incidents")) == {
        "IncidentDate": "not a field of the real API",
        "IsActive": "string, the real API sends boolean",
    }
    log: set[str] = set()
    Recording(row, log).get("IncidentDate")
    Recording(row, log)["IssueTS"]["date"]
    assert log - set(reference_fields("incidents")) == {"IncidentDate"}
    sql = "select incident_id, incident_date from warehouse.kippnewark_deanslist.incidents"
    error = staging_error(sql, "kippnewark_deanslist", "incidents", arrow_schema("incidents"))
    assert error is not None and "incident_date" in error
