{#-
    A cast that gives null instead of failing, on both warehouses: i-Ready's Student ID
    is text that is not always a number (demo accounts). dbt's own safe_cast is a plain
    cast on DuckDB, which fails on the first such id.
-#}
{% macro iready_safe_cast(field, type) -%}
    {{ return(adapter.dispatch('iready_safe_cast', 'iready')(field, type)) }}
{%- endmacro %}

{% macro default__iready_safe_cast(field, type) -%}
    safe_cast({{ field }} as {{ type }})
{%- endmacro %}

{% macro duckdb__iready_safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
