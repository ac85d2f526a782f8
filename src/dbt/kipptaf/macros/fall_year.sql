{#-
    The school year a date falls in, named by its fall year (July 1 starts a year):
    2026-09-10 and 2027-03-01 are both 2026, like the SIS models' `academic_year`.
-#}
{% macro fall_year(date_column) -%}
    (extract(year from {{ date_column }}) - case when extract(month from {{ date_column }}) < 7 then 1 else 0 end)
{%- endmacro %}
