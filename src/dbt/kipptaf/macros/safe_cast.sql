{#-
    dbt's safe_cast gives null for a value that does not convert on BigQuery
    (SAFE_CAST), but is a plain cast on DuckDB, which fails the whole model on the
    first such value: vendors send ids that are not numbers (demo accounts, blanks).
    This is DuckDB's equivalent; dbt_project.yml points dbt's dispatch here. The
    regional projects use the same macro from the powerschool package (kipptaf must
    parse on its own, so it keeps its own copy).
-#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
