"""Every model of every dbt project is SQL that BigQuery can take, though we run DuckDB.

Two checks on the one shared compile (``compiled_manifests``):
- the compiled SQL parses as BigQuery with sqlglot and regenerates as BigQuery
  without an unsupported construct;
- the SQL as written uses dbt's cross-database macros (dbt.type_string(),
  dbt.dateadd, dbt.datediff, dbt.safe_cast, ...) instead of DuckDB-only spellings,
  which the DuckDB compile would otherwise hide.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlglot
from sqlglot.errors import ErrorLevel, SqlglotError

# DuckDB (or Postgres) spellings with no BigQuery equivalent of the same meaning; each
# has a dbt cross-database macro or a portable form
NOT_PORTABLE: dict[str, re.Pattern[str]] = {
    "`::` cast (use cast(x as ...))": re.compile(r"::"),
    "double-quoted identifier (a string on BigQuery)": re.compile(r'"'),
    "DuckDB-only type (use dbt.type_*() or int64/string/bool/date/timestamp)": re.compile(
        r"\bas\s+(double|varchar|text|real|hugeint|blob|float|float4|float8|int4|int8"
        r"|utinyint|usmallint|uinteger|ubigint)\b",
        re.IGNORECASE,
    ),
    "DuckDB-only function (use a dbt macro)": re.compile(
        r"\b(count_if|list_\w+|struct_pack|strftime|strptime|epoch\w*|regexp_matches|hash"
        r"|generate_series|range|date_diff|datediff|dateadd|date_add|date_sub|date_part"
        r"|now|today)\s*\(",
        re.IGNORECASE,
    ),
    "ilike / exclude (DuckDB spellings)": re.compile(r"\bilike\b|\bexclude\s*\(", re.IGNORECASE),
}
_JINJA_OR_COMMENT = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'")


def not_portable(raw_sql: str) -> list[str]:
    """What the SQL as written spells in a DuckDB-only way (jinja, comments and string
    literals aside)."""
    text = _STRING.sub("''", _JINJA_OR_COMMENT.sub(" ", raw_sql))
    return [problem for problem, pattern in NOT_PORTABLE.items() if pattern.search(text)]


def bigquery_problem(compiled_sql: str) -> str | None:
    """Why BigQuery could not take the compiled SQL, per sqlglot; None when it could."""
    try:
        tree = sqlglot.parse_one(compiled_sql, read="bigquery")
        tree.sql(dialect="bigquery", unsupported_level=ErrorLevel.RAISE)
    except SqlglotError as error:
        return f"{type(error).__name__}: {str(error)[:300]}"
    return None


def _models(manifests: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (project, node)
        for project, manifest in manifests.items()
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
    ]


def test_every_project_compiles_models(compiled_manifests: dict[str, dict[str, Any]]) -> None:
    counts = {
        p: len([n for q, n in _models(compiled_manifests) if q == p]) for p in compiled_manifests
    }
    assert all(counts.values()), f"a project compiled no models: {counts}"
    missing = [
        f"{p}.{n['name']}" for p, n in _models(compiled_manifests) if not n.get("compiled_code")
    ]
    assert missing == []


def test_compiled_sql_parses_as_bigquery(compiled_manifests: dict[str, dict[str, Any]]) -> None:
    problems = {
        f"{project}.{node['name']}": problem
        for project, node in _models(compiled_manifests)
        if (problem := bigquery_problem(node["compiled_code"]))
    }
    assert problems == {}


def test_sql_as_written_is_portable(compiled_manifests: dict[str, dict[str, Any]]) -> None:
    problems = {
        f"{project}.{node['name']} ({node['original_file_path']})": found
        for project, node in _models(compiled_manifests)
        if (found := not_portable(node["raw_code"]))
    }
    assert problems == {}


@pytest.mark.parametrize(
    ("sql", "problem"),
    [
        ("select a::int64 as a from t", "`::` cast"),
        ('select "a" from t', "double-quoted"),
        ("select cast(a as double) as a from t", "DuckDB-only type"),
        ("select count_if(a) from t", "DuckDB-only function"),
        ("select date_diff('day', a, b) from t", "DuckDB-only function"),
        ("select * exclude (a) from t", "ilike / exclude"),
    ],
)
def test_duckdb_spellings_are_named(sql: str, problem: str) -> None:
    assert any(p.startswith(problem) for p in not_portable(sql))


def test_portable_spellings_pass() -> None:
    sql = """
    -- a comment may say "anything" :: here
    select cast(a as {{ dbt.type_string() }}) as a, cast(b as int64) as b,
        {{ dbt.datediff('x', 'y', 'day') }} as d, 'it''s "quoted"' as s
    from {{ ref('m') }}
    """
    assert not_portable(sql) == []


def test_sql_bigquery_cannot_take_is_named() -> None:
    assert bigquery_problem("select x from range(1, 3) as d(day)") is not None
    assert bigquery_problem("select from where") is not None
    assert bigquery_problem("select cast(a as int64) as a from `p.d.t`") is None


def test_safe_cast_gives_null_on_duckdb_too(compiled_manifests: dict[str, dict[str, Any]]) -> None:
    """dbt.safe_cast is a plain cast on DuckDB unless a project dispatches it to
    try_cast: a vendor's non-numeric id would then fail the whole model locally."""
    users = [
        (project, node)
        for project, node in _models(compiled_manifests)
        if "safe_cast(" in node["raw_code"]
    ]
    assert users, "no model uses dbt.safe_cast: this test checks nothing"
    plain = [
        f"{project}.{node['name']}"
        for project, node in users
        if node["compiled_code"].count("try_cast(") < node["raw_code"].count("safe_cast(")
    ]
    assert plain == []
