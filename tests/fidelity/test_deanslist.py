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
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlglot
import yaml
from sqlglot.errors import OptimizeError
from sqlglot.optimizer.qualify import qualify

from sandbox import generator
from sandbox.http import start_http
from sandbox.vendors import deanslist as sandbox_deanslist
from support import make_data_dir
from teamster.core.settings import DeansListSettings
from teamster.libraries.dbt.project import prepare, project_dir, run_dbt
from teamster.libraries.deanslist.assets import FIELDS, arrow_schema, to_batch
from teamster.libraries.deanslist.client import DeansListAPI, Window, read_incidents, read_page
from teamster.libraries.deanslist.config import DeansListConfig, DeansListSchool

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


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    return {str: "string", dict: "object", list: "array"}[type(value)]


def _fits(value: Any, kind: str) -> bool:
    actual = _json_type(value)
    allowed = set(kind.split("|")) | {"null"}
    if "number" in allowed:
        allowed.add("integer")
    if "rows" in allowed:
        allowed.add("array")
    return actual in allowed


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(path, value) for every member of a JSON value, depth first; array elements get
    ``[]``."""
    if isinstance(value, dict):
        for key, member in value.items():
            inner = f"{path}.{key}" if path else key
            yield inner, member
            yield from walk(member, inner)
    elif isinstance(value, list):
        for element in value:
            yield f"{path}[]", element
            yield from walk(element, f"{path}[]")


def unreal(served: list[tuple[str, Any]], reference: dict[str, str]) -> dict[str, str]:
    """The served paths the reference lacks, or whose value is of another type."""
    wrong: dict[str, str] = {}
    for path, value in served:
        if path not in reference:
            wrong[path] = "not a field of the real API"
        elif not _fits(value, reference[path]):
            wrong[path] = f"{_json_type(value)}, the real API sends {reference[path]}"
    return wrong


# --- observing what the library reads -----------------------------------------------------


class Recording(dict):
    """A JSON object that records, in ``log``, every member looked up by name."""

    def __init__(self, value: dict, log: set[str], path: str = ""):
        super().__init__(value)
        self._log, self._path = log, path

    def _wrap(self, key: str, value: Any) -> Any:
        inner = f"{self._path}.{key}" if self._path else key
        if isinstance(value, dict):
            return Recording(value, self._log, inner)
        if isinstance(value, list):
            return [
                Recording(v, self._log, f"{inner}[]") if isinstance(v, dict) else v for v in value
            ]
        return value

    def _note(self, key: Any) -> None:
        self._log.add(f"{self._path}.{key}" if self._path else str(key))

    def __getitem__(self, key: Any) -> Any:
        self._note(key)
        return self._wrap(key, super().__getitem__(key))

    def get(self, key: Any, default: Any = None) -> Any:
        self._note(key)
        return self._wrap(key, super().get(key, default)) if key in self.keys() else default

    def __contains__(self, key: Any) -> bool:
        self._note(key)
        return super().__contains__(key)


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
        schools=[
            DeansListSchool(deanslist_school_id=dl, school_number=n)
            for dl, n in served["crosswalk"].items()
        ]
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
    api = DeansListAPI(DeansListSettings(base_url=served["url"], keys_file=keys))
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
def compiled_staging() -> dict[str, str]:
    """The deanslist package's staging models, compiled in a regional project."""
    work = make_data_dir("teamster-fidelity-dbt-")
    prepare("kippnewark")
    target = work / "target"
    env = {
        **os.environ,
        "TEAMSTER_DBT_TARGET": "local",
        "TEAMSTER_DUCKDB_PATH": str(work / "warehouse.duckdb"),
    }
    run_dbt(
        [
            "compile",
            "--project-dir",
            str(project_dir("kippnewark")),
            "--target-path",
            str(target),
            "--log-path",
            str(work / "logs"),
            "--quiet",
            "--no-populate-cache",
            "--select",
            "package:deanslist,resource_type:model",
        ],
        work,
        env,
        "kippnewark",
    )
    folder = target / "compiled" / "deanslist" / "models" / "staging"
    compiled = {
        f"stg_deanslist__{e}": (folder / f"stg_deanslist__{e}.sql").read_text() for e in ENDPOINTS
    }
    shutil.rmtree(work, ignore_errors=True)
    return compiled


def unlanded(sql: str, table: str, columns: list[str]) -> list[str]:
    """The columns ``sql`` reads from the landed ``table`` that it does not have."""
    expression = sqlglot.parse_one(sql, read="duckdb")
    schema = {
        t.name: {c: "text" for c in columns}
        for t in expression.find_all(sqlglot.exp.Table)
        if t.name == table
    }
    missing = []
    while True:
        try:
            qualify(
                expression.copy(), schema=schema, dialect="duckdb", validate_qualify_columns=True
            )
            return missing
        except OptimizeError as e:
            match = re.search(r"Column '\"?([A-Za-z_0-9]+)\"?' could not be resolved", str(e))
            if match is None or match[1] in missing:
                raise
            missing.append(match[1])
            columns = [*columns, match[1]]
            schema = {t: {c: "text" for c in columns} for t in schema}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_staging_reads_only_landed_columns(compiled_staging, endpoint):
    sql = compiled_staging[f"stg_deanslist__{endpoint}"]
    missing = unlanded(sql, endpoint, arrow_schema(endpoint).names)
    assert not missing, f"stg_deanslist__{endpoint} reads column(s) nobody lands: {missing}"


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
    sql = "select incident_id, incident_date from main.incidents"
    assert unlanded(sql, "incidents", arrow_schema("incidents").names) == ["incident_date"]
