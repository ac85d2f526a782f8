{#-
    An 8-byte float on every warehouse: `float64` on BigQuery, `double` on DuckDB
    (dbt.type_float() is DuckDB's 4-byte `float`). Contracts spell the same in yml:
    data_type: "{{ 'float64' if target.type == 'bigquery' else 'double' }}".
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    float64
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}
