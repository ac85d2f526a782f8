{#-
    Every region's copy of one table, stacked, with the region as `code_location`.
    The regions' tables come from the same shared package, so their columns line up.
-#}
{% macro union_regions(integration, table) -%}
    {%- for region in var('regions') %}
    select '{{ region }}' as code_location, *
    from {{ source(region ~ '_' ~ integration, table) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
