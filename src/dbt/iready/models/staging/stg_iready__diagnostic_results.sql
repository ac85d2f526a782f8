-- One row per completed i-Ready diagnostic. i-Ready names the school year
-- '2026-2027'; `academic_year` is its fall year (2026) like the SIS models.
select
    cast(student_id as {{ dbt.type_string() }})
    || '-' || subject
    || '-' || cast(completion_date as {{ dbt.type_string() }}) as diagnostic_id,
    student_id as student_number,
    last_name,
    first_name,
    student_grade,
    case
        when student_grade = 'K' then 0
        else {{ dbt.safe_cast('student_grade', dbt.type_bigint()) }}
    end as grade_level,
    school as school_name,
    academic_year as academic_year_name,
    cast(substr(academic_year, 1, 4) as {{ dbt.type_bigint() }}) as academic_year,
    subject,
    start_date,
    completion_date,
    baseline_diagnostic = 'Y' as is_baseline,
    overall_scale_score,
    overall_relative_placement,
    overall_relative_placement in (
        'Early On Grade Level', 'Mid or Above Grade Level'
    ) as is_on_grade_level,
    percentile
from {{ source('iready', 'diagnostic_results') }}
