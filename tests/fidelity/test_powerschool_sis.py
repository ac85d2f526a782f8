"""PowerSchool SIS as teamster reads it, as the sandbox serves it, and as the dbt staging
models select it: all three held to what the real PowerSchool sends
(tests/data/vendor_schemas/powerschool_sis.yaml, sources in the README beside it)."""

from __future__ import annotations

import functools

import jinja2
import pytest
import sqlglot
import yaml
from sqlglot import exp

from sandbox import sis as sandbox
from support import REPO
from teamster.libraries.powerschool.sis.tables import declarations

REFERENCE = yaml.safe_load((REPO / "tests/data/vendor_schemas/powerschool_sis.yaml").read_text())
STAGING = REPO / "src/dbt/powerschool/models/staging"
TABLES = sorted(declarations())


def _reference_cursor(table: str) -> str | None:
    for column, tables in REFERENCE["cursors"].items():
        if table in tables:
            return None if column == "none" else column
    raise AssertionError(f"the reference names no cursor for {table}")


@pytest.mark.parametrize("table", TABLES)
def test_every_declared_column_exists_in_powerschool(table):
    assert table in REFERENCE["sql"], f"{table}: not a PowerSchool table we have a source for"
    invented = set(declarations()[table].columns) - set(REFERENCE["sql"][table])
    assert not invented, f"{table}: PowerSchool has no column(s) {sorted(invented)}"


@pytest.mark.parametrize("table", TABLES)
def test_each_table_is_followed_by_powerschools_own_cursor(table):
    assert declarations()[table].cursor == _reference_cursor(table)


@pytest.mark.parametrize("table", TABLES)
def test_the_export_is_read_by_its_own_field_names_and_formats(table):
    export = declarations()[table].export
    if table not in REFERENCE["sftp"]:
        assert export is None, f"{table}: PowerSchool's export has no such file"
        return
    assert export is not None, f"{table}: the export has this file; declare how to read it"
    fields = set(REFERENCE["sftp"][table])
    read = {export.field(c) for c in declarations()[table].columns if c not in export.missing}
    assert not read - fields, f"{table}: the export has no field(s) {sorted(read - fields)}"
    assert not {export.field(c) for c in export.missing} & fields, f"{table}: not missing"
    formats = REFERENCE["sftp_date_formats"].get(table, {})
    us_dates = {export.field(c) for c in export.us_dates}
    read_dates = {
        export.field(c)
        for c, kind in declarations()[table].columns.items()
        if kind in ("date", "timestamp") and c not in export.missing
    }
    assert us_dates == {f for f in formats if f in read_dates}, table


@pytest.mark.parametrize("table", sorted(sandbox.TABLES))
def test_the_sandbox_serves_only_real_columns(table):
    invented = set(sandbox.TABLES[table]) - set(REFERENCE["sql"].get(table, []))
    assert not invented, f"sandbox {table}: PowerSchool has no column(s) {sorted(invented)}"


@pytest.mark.parametrize("table", sorted(sandbox.TABLES))
def test_the_sandbox_exports_only_real_fields_in_real_formats(table):
    if table not in REFERENCE["sftp"]:
        assert table in sandbox.NOT_EXPORTED, f"sandbox exports {table}; PowerSchool does not"
        return
    assert table not in sandbox.NOT_EXPORTED
    names = sandbox.EXPORT_NAMES.get(table, {})
    fields = {names.get(c, c) for c in sandbox.export_columns(table)}
    invented = fields - set(REFERENCE["sftp"][table])
    assert not invented, f"sandbox export of {table}: no field(s) {sorted(invented)}"
    us_dates = {names.get(c, c) for c in sandbox.EXPORT_US_DATES.get(table, set())}
    assert us_dates & fields == set(REFERENCE["sftp_date_formats"].get(table, {})) & fields


@functools.cache
def _selected_columns(model: str) -> set[str]:
    """The raw columns a staging model reads from its source (Jinja rendered with stubs
    for the package's macros, then parsed)."""
    text = (STAGING / f"{model}.sql").read_text()
    stubs = {
        "source": lambda _source, name: name,
        "ref": lambda name: name,
        "var": lambda name, default=None: default,
        "powerschool": type(
            "P", (), {"local_timestamp": staticmethod(lambda c: c), "type_double": lambda: "double"}
        ),
        "dbt": type("D", (), {"type_bigint": lambda: "bigint", "type_string": lambda: "varchar"}),
    }
    sql = jinja2.Template(text).render(**stubs)
    # a staging model is one select from its source: every column it names is raw
    return {c.name for c in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Column)}


@pytest.mark.parametrize("table", TABLES)
def test_staging_reads_only_landed_columns(table):
    model = f"stg_powerschool__{table}"
    assert (STAGING / f"{model}.sql").exists(), f"no staging model for {table}"
    unknown = _selected_columns(model) - set(declarations()[table].columns)
    assert not unknown, f"{model} reads column(s) teamster does not land: {sorted(unknown)}"
