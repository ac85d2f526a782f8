{#-
    Fails with each combination of `combination_of_columns` that occurs more than
    once (dbt_utils' test of the same name, which cannot be installed here).
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
    select {{ columns }}, count(*) as n_records
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
{% endtest %}
