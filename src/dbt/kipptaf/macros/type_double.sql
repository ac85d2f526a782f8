{#-
    An 8-byte float on every warehouse: `float64` on BigQuery, `double` on DuckDB.
    dbt.type_float() will not do: on DuckDB it is `float`, a 4-byte REAL, which would
    round percents and attendance rates. Contracts in yml cannot call macros, so they
    spell the same choice from the target:
        data_type: "{{ 'float64' if target.type == 'bigquery' else 'double' }}"
    kipptaf has the same file: it installs no packages (dbt Cloud builds it alone), and
    tests/dbt/test_shared_macros.py keeps the two copies identical. The dispatch names
    no package, so it finds the adapter's version in whichever project holds the file.
-#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    {{ return('float64') }}
{%- endmacro %}

{% macro duckdb__type_double() -%}
    {{ return('double') }}
{%- endmacro %}
