{#-
    dbt's safe_cast gives null for a value that does not convert on BigQuery
    (SAFE_CAST), but is a plain cast on DuckDB, which fails the whole model on the
    first such value: vendors send ids that are not numbers (demo accounts, blanks).
    This is DuckDB's equivalent. The regional projects point dbt's dispatch at this
    package (`dispatch:` in their dbt_project.yml), so `dbt.safe_cast` in every package
    they build (powerschool, deanslist, iready) behaves the same on both warehouses.
    kipptaf, which must parse on its own, keeps its own copy.
-#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
