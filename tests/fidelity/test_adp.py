"""ADP fidelity: the library, the sandbox and the staging models against the reference of
what ADP really sends (tests/data/vendor_schemas/adp.yaml): payroll general-ledger files
and Workforce Now's workers API, nested fields included.

Fails when (a) the library reads a column or field the reference does not have; (b) the
sandbox serves one (files read over its SFTP server, workers over its HTTP API with a
token, as teamster reads them); (c) a staging model selects a landed column the library
does not land (the compiled models run on empty tables of exactly the landed schemas).
Each check first shows that it notices a planted difference.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml

from support import compiled_models, staging_error
from teamster.core.csv_reader import header_slug
from teamster.core.ssh import SSHConnection
from teamster.libraries.adp import schema as payroll
from teamster.libraries.adp import schema as wfn
from teamster.libraries.adp.resources import PAGE_SIZE, WORKERS_PATH

_ALL = yaml.safe_load(
    (Path(__file__).parents[1] / "data" / "vendor_schemas" / "adp.yaml").read_text()
)
LEDGER, WORKFORCE_NOW = _ALL["payroll_general_ledger"], _ALL["workforce_now"]
LEDGER_COLUMNS = set(LEDGER["columns"])
FIELDS: dict[str, str] = WORKFORCE_NOW["fields"]
JSON_TYPES = {str: "string", bool: "boolean", int: "number", float: "number"}


def _json_paths(value: Any, prefix: str, root: bool = True) -> dict[str, str]:
    """Every path in a JSON value with its reference type; a list is ``x[]`` (its items'
    fields under it), a list of scalars ``array of <type>``."""
    out: dict[str, str] = {}
    if isinstance(value, dict):
        if root:
            out[prefix] = "object"
        for key, item in value.items():
            out.update(_json_paths(item, f"{prefix}.{key}"))
    elif isinstance(value, list):
        path = f"{prefix}[]"
        scalars = [v for v in value if not isinstance(v, dict | list)]
        out[path] = f"array of {JSON_TYPES[type(scalars[0])]}" if scalars else "array"
        for item in value:
            if isinstance(item, dict):
                out.update(_json_paths(item, path, root=False))
    elif value is not None:
        out[prefix] = JSON_TYPES[type(value)]
    return out


def _worker_paths(workers: list[Any]) -> dict[str, str]:
    """The paths of every served worker, named like the reference (``workers[]....``)."""
    out: dict[str, str] = {}
    for worker in workers:
        out.update(_json_paths(worker, "workers[]", root=False))
    return out


def _field_problems(paths: dict[str, str]) -> list[str]:
    return [
        f"{path}: {kind}" if path in FIELDS else f"{path}: not an ADP field"
        for path, kind in sorted(paths.items())
        if FIELDS.get(path) != kind
    ]


CANDIDATE_NAMES = [
    f"{prefix}_{date}_{group}.{ext}"
    for prefix in ("ADP_Payroll", "adp_payroll", "ADP_payroll", "Adp_Payroll", "gl")
    for date in ("20260703", "2026-07-03")
    for group in ("NEW", "2Z3", "")
    for ext in ("csv", "CSV")
]


def _disagree(pattern_a: str, pattern_b: str, names: list[str]) -> list[str]:
    a, b = re.compile(pattern_a), re.compile(pattern_b)
    return [n for n in names if bool(a.fullmatch(n)) != bool(b.fullmatch(n))]


# --- (a) the library ---------------------------------------------------------------------


def test_the_checks_notice_planted_differences():
    assert _field_problems({"workers[].associateOID": "string"}) == []
    assert _field_problems({"workers[].associateOID": "number"}) == [
        "workers[].associateOID: number"
    ]
    assert _field_problems({"workers[].employeeNumber": "string"}) == [
        "workers[].employeeNumber: not an ADP field"
    ]
    paths = _worker_paths([{"a": [{"b": 1}], "c": ["x"], "d": {}}])
    assert paths == {
        "workers[].d": "object",
        "workers[].a[]": "array",
        "workers[].a[].b": "number",
        "workers[].c[]": "array of string",
    }
    assert _disagree(r"a\.csv", r"(a|b)\.csv", ["a.csv", "b.csv"]) == ["b.csv"]


def test_the_payroll_reader_reads_only_columns_adp_sends():
    read = {slug for column in payroll.COLUMNS for slug in column.keys}
    assert read <= LEDGER_COLUMNS, read - LEDGER_COLUMNS
    landed = set(payroll.GENERAL_LEDGER_SCHEMA.names)
    assert landed - {c.name for c in payroll.COLUMNS} == set(payroll.LEDGER_DERIVED)
    assert not set(payroll.LEDGER_DERIVED) & LEDGER_COLUMNS
    declared = {c.name: c for c in payroll.COLUMNS}
    assert all(declared[c].kind == "digits_number" for c in LEDGER["digits_only"] if c in declared)
    assert (declared["date"].kind, declared["date"].format) == ("date", LEDGER["formats"]["date"])


def test_the_payroll_reader_finds_exactly_the_files_adp_names():
    assert not _disagree(payroll.GL_FILE.pattern, LEDGER["file_name"], CANDIDATE_NAMES)
    day, group = payroll.parse_name("ADP_Payroll_20251215_47S.csv")
    assert day == dt.datetime.strptime("20251215", LEDGER["file_date_format"]).date()
    assert group in LEDGER["group_codes"]


def test_the_workers_client_reads_only_fields_adp_sends():
    read = {path for field in wfn.FIELDS for path in field.reads()}
    assert read, "the client declares what it reads"
    assert not [p for p in read if p not in FIELDS], [p for p in read if p not in FIELDS]
    landed = set(wfn.WORKERS_SCHEMA.names)
    assert landed - {f.name for f in wfn.FIELDS} == set(wfn.WORKERS_DERIVED)
    # the list items it picks are picked by values the sources show
    values = WORKFORCE_NOW["values"]
    assert {"Department", "BusinessUnit"} <= set(values["organizational_unit_type_without_spaces"])
    assert "WorkEmail" in values["email_kind_without_non_word_characters"]


def test_the_workers_client_speaks_the_api_adp_documents():
    workers, token = WORKFORCE_NOW["workers"], WORKFORCE_NOW["token"]
    assert urlsplit(workers["url"]).path == WORKERS_PATH
    assert workers["paging"]["max_top"] >= PAGE_SIZE
    assert {workers["paging"]["top"], workers["paging"]["skip"]} <= set(workers["parameters"])
    assert urlsplit(token["url"]).path == "/auth/oauth/v2/token"
    assert token["grant_type"] == "client_credentials"


# --- (b) the sandbox ---------------------------------------------------------------------


def _ledger_problems(settings, tmp: Path) -> list[str]:
    """What the payroll SFTP serves that ADP does not: names, columns, formats."""
    problems = []
    name = re.compile(LEDGER["file_name"])
    drop = settings.adp_sftp
    with SSHConnection(drop.ssh) as ssh:
        listed = ssh.list_files(drop.payroll_dir)
        if not listed:
            problems.append("no payroll file")
        for f in listed[:6]:  # a pay date's groups and the next; the rest are alike
            file_name = f.path.rsplit("/", 1)[-1]
            match = name.fullmatch(file_name)
            if match is None:
                problems.append(f"{file_name}: not a name ADP uses")
                continue
            dt.datetime.strptime(match.group("date"), LEDGER["file_date_format"])
            local = tmp / file_name
            ssh.download(f.path, str(local))
            rows = list(csv.reader(io.StringIO(local.read_text())))
            slugs = [header_slug(h) for h in rows[0]]
            problems += [f"{file_name}: column {c}" for c in slugs if c not in LEDGER_COLUMNS]
            for column, fmt in LEDGER["formats"].items():
                at = slugs.index(column)
                for row in rows[1:]:
                    try:
                        dt.datetime.strptime(row[at], fmt)
                    except ValueError:
                        problems.append(f"{file_name}: {column} {row[at]!r} is not {fmt}")
                        break
    return problems


def _served_workers(settings) -> list[Any]:
    """Every worker the sandbox's workers API serves, with a token, page by page."""
    s = settings.adp_workforce_now
    token = httpx.post(
        s.token_url,
        auth=(
            Path(s.client_id_file).read_text().strip(),
            Path(s.client_secret_file).read_text().strip(),
        ),
        data={"grant_type": WORKFORCE_NOW["token"]["grant_type"]},
    )
    assert token.status_code == 200, token.text
    assert token.json()["expires_in"] == WORKFORCE_NOW["token"]["expires_in_seconds"]
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    paging = WORKFORCE_NOW["workers"]["paging"]
    workers, skip = [], 0
    while True:
        page = httpx.get(
            f"{s.base_url}{WORKERS_PATH}",
            headers=headers,
            params={paging["top"]: paging["max_top"] * 2, paging["skip"]: skip},
        )
        if page.status_code == paging["end_status"]:
            return workers
        assert page.status_code == 200, page.text
        body = page.json()
        assert set(body) == {WORKFORCE_NOW["workers"]["response_key"]}
        batch = body[WORKFORCE_NOW["workers"]["response_key"]]
        assert 0 < len(batch) <= paging["max_top"]
        workers += batch
        skip += len(batch)


def test_the_sandbox_serves_only_what_adp_sends(sandbox, settings, tmp_path):
    assert _ledger_problems(settings, tmp_path) == []
    workers = _served_workers(settings)
    assert len(workers) == sandbox.truth()["adp_workers"]
    assert _field_problems(_worker_paths(workers)) == []


def test_the_sandbox_check_notices_an_invented_column_or_field(sandbox, settings, tmp_path):
    payroll_dir = sandbox.root / "sftp" / "adp" / "payroll"
    first = sorted(payroll_dir.iterdir())[0]
    served = sandbox.root / "http" / "adp_workforce_now" / "workers.json"
    kept = {p: (p.read_bytes(), p.stat()) for p in (first, served)}
    try:
        lines = first.read_text().splitlines()
        first.write_text(
            "\n".join([lines[0] + ",COMPANY_CODE"] + [x + ",NEW" for x in lines[1:]]) + "\n"
        )
        workers = json.loads(served.read_text())
        workers[0]["workAssignments"][0]["companyCode"] = "NEW"
        served.write_text(json.dumps(workers))
        ledger = _ledger_problems(settings, tmp_path)
        fields = _field_problems(_worker_paths(_served_workers(settings)))
    finally:
        for path, (data, stat) in kept.items():
            path.write_bytes(data)
            os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert ledger == [f"{first.name}: column company_code"]
    assert fields == ["workers[].workAssignments[].companyCode: not an ADP field"]


# --- (c) the staging models --------------------------------------------------------------

MODELS = {
    "stg_adp_workforce_now__workers": ("kipptaf_adp_workforce_now", "workers", wfn.WORKERS_SCHEMA),
    "stg_adp_payroll__general_ledger": (
        "kipptaf_adp_payroll",
        "general_ledger",
        payroll.GENERAL_LEDGER_SCHEMA,
    ),
}


@pytest.fixture(scope="module")
def staging_sql(compiled_manifests) -> dict[str, str]:
    """kipptaf's ADP staging models compiled (render only)."""
    models = compiled_models(compiled_manifests["kipptaf"])
    return {name: sql for name, sql in models.items() if name in MODELS}


def test_staging_selects_only_what_the_library_lands(staging_sql):
    assert set(staging_sql) == set(MODELS)
    for model, (dataset, table, schema) in MODELS.items():
        assert f"{dataset}" in staging_sql[model], model
        assert staging_error(staging_sql[model], dataset, table, schema) is None, model


@pytest.mark.parametrize(
    ("model", "needed"),
    [
        ("stg_adp_workforce_now__workers", {"position_id", "code_location", "school_number"}),
        ("stg_adp_payroll__general_ledger", {"date", "location_id", "source_file_date"}),
    ],
)
def test_the_staging_check_notices_a_column_the_library_does_not_land(staging_sql, model, needed):
    dataset, table, schema = MODELS[model]
    read = set()
    for field in schema:
        error = staging_error(
            staging_sql[model], dataset, table, schema.remove(schema.get_field_index(field.name))
        )
        if error is not None:
            assert field.name in error, error
            read.add(field.name)
    assert needed <= read
