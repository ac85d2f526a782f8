{#-
    A name as it may appear in a PowerSchool web id: decomposed (Unicode NFD), lower
    case, and only the letters a-z and digits 0-9 kept. An accented letter becomes its
    base letter (José -> jose, Nguyễn -> nguyen); spaces, hyphens, apostrophes and
    periods go, and so do letters with no Latin base (Ø, Ł, ß, Greek, Cyrillic, Arabic,
    Han), ligatures and fullwidth forms, which NFD leaves whole. A null name gives ''.
    The same rule in Python, which the tests hold both warehouses' forms to:
        re.sub('[^a-z0-9]', '', unicodedata.normalize('NFD', name or '').lower())
    models/extracts/powerschool/rpt_powerschool__autocomm_students.sql builds the web
    ids from it.
-#}
{% macro web_id_part(column) -%}
    {{ return(adapter.dispatch('web_id_part', 'kipptaf')(column)) }}
{%- endmacro %}

{#- BigQuery: regexp_replace replaces every match. -#}
{% macro default__web_id_part(column) -%}
    regexp_replace(lower(normalize(coalesce({{ column }}, ''), NFD)), '[^a-z0-9]', '')
{%- endmacro %}

{#-
    DuckDB: strip_accents decomposes and drops the combining marks (what NFD and the
    filter do to them). DuckDB's regexp_replace replaces all matches only with the 'g'
    option, a fourth argument BigQuery's regexp_replace does not have (compiled models
    must still parse as BigQuery: tests/dbt/test_portable_sql.py), so the characters
    kept are extracted and joined instead.
-#}
{% macro duckdb__web_id_part(column) -%}
    array_to_string(
        regexp_extract_all(lower(strip_accents(coalesce({{ column }}, ''))), '[a-z0-9]'), ''
    )
{%- endmacro %}
