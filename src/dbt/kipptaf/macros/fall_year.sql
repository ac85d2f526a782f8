{#-
    The school year a date falls in, named by its fall year (July 1 starts a year):
    2026-09-10 and 2027-03-01 are both 2026, as in the SIS models' `academic_year`.
    A bigint on every warehouse, so it compares and joins with `academic_year` as is.
    kipptaf has the same file: it installs no packages (dbt Cloud builds it alone), and
    tests/dbt/test_shared_macros.py keeps the two copies identical.
-#}
{% macro fall_year(date_column) -%}
    cast(
        extract(year from {{ date_column }})
        - case when extract(month from {{ date_column }}) < 7 then 1 else 0 end
        as {{ dbt.type_bigint() }}
    )
{%- endmacro %}
