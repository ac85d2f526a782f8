"""PowerSchool SIS as teamster reads it, as the sandbox serves it, and as the dbt staging
models select it: all three held to what the real PowerSchool sends
(tests/data/vendor_schemas/powerschool_sis.yaml, sources in the README beside it)."""

from __future__ import annotations

import pytest
import yaml

from sandbox import sis as sandbox
from support import REPO, compiled_models, staging_error
from teamster.libraries.powerschool.sis.schema import arrow_schema, declarations

REFERENCE = yaml.safe_load((REPO / "tests/data/vendor_schemas/powerschool_sis.yaml").read_text())
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


@pytest.fixture(scope="module")
def staging(compiled_manifests) -> dict[str, str]:
    """The powerschool package's models as a SQL region compiles them."""
    return compiled_models(compiled_manifests["kippnewark"])


@pytest.mark.parametrize("table", TABLES)
def test_staging_reads_only_landed_columns(staging, table):
    model = f"stg_powerschool__{table}"
    assert model in staging, f"no staging model for {table}"
    error = staging_error(staging[model], "kippnewark_powerschool", table, arrow_schema(table))
    assert error is None, f"{model} does not run on what teamster lands: {error}"


def test_the_staging_check_notices_a_column_nobody_lands(staging):
    sql = staging["stg_powerschool__gen"].replace("yearid as", "whenmodified, yearid as")
    error = staging_error(sql, "kippnewark_powerschool", "gen", arrow_schema("gen"))
    assert error is not None and "whenmodified" in error
