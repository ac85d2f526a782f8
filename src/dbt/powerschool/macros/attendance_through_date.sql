{#-
    The last day membership is counted through, as a SQL date expression.

    The warehouse cannot know "today" of the district it mirrors, so by default it is
    the last day the region took daily attendance: teachers take it every school day,
    and a day with no exception anywhere in the region does not happen at network
    scale. In `prod` the district runs on the wall clock, and PowerSchool accepts
    attendance entered ahead (planned absences), so the day is also capped at today in
    the region's time zone (var `local_timezone`). Elsewhere (the local sandbox, which
    keeps its own calendar and can run ahead of the machine's clock after `advance`)
    the data alone decides. Setting the var `attendance_through_date` ('YYYY-MM-DD')
    overrides both.
-#}
{% macro attendance_through_date() -%}
    {%- set fixed = var('attendance_through_date', none) -%}
    {%- if fixed -%}
        cast('{{ fixed }}' as date)
    {%- else -%}
        (
            select
            {%- if target.name == 'prod' %}
                least(max(attendance_date), {{ powerschool.local_today() }})
            {%- else %}
                max(attendance_date)
            {%- endif %}
            from {{ ref('stg_powerschool__attendance') }}
            where attendance_mode_code = 'ATT_ModeDaily'
        )
    {%- endif -%}
{%- endmacro %}

{#- Today's date in the region's time zone (var `local_timezone`). -#}
{% macro local_today() -%}
    {{ return(adapter.dispatch('local_today', 'powerschool')()) }}
{%- endmacro %}

{% macro default__local_today() -%}
    current_date('{{ var("local_timezone") }}')
{%- endmacro %}

{% macro duckdb__local_today() -%}
    cast(timezone('{{ var("local_timezone") }}', current_timestamp) as date)
{%- endmacro %}
