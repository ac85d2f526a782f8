{#-
    PowerSchool stores date-times as the region's wall clock, with no zone. Staging
    turns each into the instant it names, a `timestamp` in UTC, using the region's
    var `local_timezone`, so times compare across regions and the column is a
    TIMESTAMP on both warehouses (BigQuery loads zone-less Parquet times as
    DATETIME; DuckDB keeps TIMESTAMP, read here as UTC).
-#}
{% macro local_timestamp(column) -%}
    {{ return(adapter.dispatch('local_timestamp', 'powerschool')(column)) }}
{%- endmacro %}

{% macro default__local_timestamp(column) -%}
    timestamp(cast({{ column }} as datetime), '{{ var("local_timezone") }}')
{%- endmacro %}

{% macro duckdb__local_timestamp(column) -%}
    timezone('UTC', timezone('{{ var("local_timezone") }}', {{ column }}))
{%- endmacro %}
