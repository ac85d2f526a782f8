{#-
    The day a UTC timestamp falls on by the network's clock (var `local_timezone`, the
    network's zone in locations.yaml). Vendors' API times land in UTC; a family that
    submits a form at 9 pm did so that evening, not on the next day's UTC date.
-#}
{% macro local_date(column) -%}
    {{ return(adapter.dispatch('local_date')(column)) }}
{%- endmacro %}

{% macro default__local_date(column) -%}
    date({{ column }}, '{{ var("local_timezone") }}')
{%- endmacro %}

{% macro duckdb__local_date(column) -%}
    cast(timezone('{{ var("local_timezone") }}', timezone('UTC', {{ column }})) as date)
{%- endmacro %}
