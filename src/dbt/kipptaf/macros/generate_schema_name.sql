{#-
    The dataset a node lands in: the target's dataset (`kipptaf`), or
    `<target>_<custom>` for a directory with `+schema` (`kipptaf_extracts`,
    `kipptaf_tableau`, `kipptaf_reporting`). The same names on DuckDB and BigQuery.
    A custom schema that already carries the prefix is not prefixed twice.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set base = target.schema -%}
    {%- if custom_schema_name is none -%}
        {{ base }}
    {%- elif custom_schema_name.startswith(base ~ '_') -%}
        {{ custom_schema_name | trim }}
    {%- else -%}
        {{ base }}_{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
