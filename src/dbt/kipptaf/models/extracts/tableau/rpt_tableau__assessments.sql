-- i-Ready diagnostics of the students enrolled today, for the assessments
-- workbook: each diagnostic with the student's current school and grade.
select
    d.diagnostic_key,
    s.code_location,
    s.student_key,
    s.student_number,
    s.first_name,
    s.last_name,
    cast(s.grade_level as {{ dbt.type_bigint() }}) as grade_level,
    cast(s.school_number as {{ dbt.type_bigint() }}) as school_number,
    s.school_name,
    s.school_abbreviation,
    d.school_name as tested_school_name,
    d.academic_year,
    d.subject,
    d.test_round,
    d.completion_date,
    d.is_baseline,
    d.is_most_recent,
    d.overall_scale_score,
    d.overall_relative_placement,
    d.is_on_grade_level,
    d.percentile
from {{ ref('fct_iready_diagnostics') }} as d
inner join {{ ref('dim_students') }} as s
    on d.student_key = s.student_key
