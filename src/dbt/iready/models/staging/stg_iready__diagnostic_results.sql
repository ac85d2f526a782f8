-- One row per completed i-Ready diagnostic, as the region's export lists it. Demo
-- accounts are kept: their Student ID is no SIS number, so `student_number` (a safe
-- cast) is null. i-Ready names the school year '2026-2027'; `academic_year` is its
-- fall year (2026) like the SIS models. `school_number` is the PowerSchool school the
-- region's crosswalk gave i-Ready's school name at load; `is_most_recent` is i-Ready's
-- own "Most Recent Diagnostic YTD (Y/N)".
select
    student_id
    || '-' || subject
    || '-' || cast(completion_date as {{ dbt.type_string() }}) as diagnostic_id,
    student_id,
    {{ dbt.safe_cast('student_id', dbt.type_bigint()) }} as student_number,
    last_name,
    first_name,
    student_grade,
    case
        when student_grade = 'K' then 0
        else {{ dbt.safe_cast('student_grade', dbt.type_bigint()) }}
    end as grade_level,
    school as school_name,
    school_number,
    academic_year as academic_year_name,
    cast(substr(academic_year, 1, 4) as {{ dbt.type_bigint() }}) as academic_year,
    subject,
    start_date,
    completion_date,
    baseline_diagnostic_y_n = 'Y' as is_baseline,
    most_recent_diagnostic_ytd_y_n = 'Y' as is_most_recent,
    duration_min,
    overall_scale_score,
    overall_relative_placement,
    overall_relative_placement in (
        'Early On Grade Level', 'Mid or Above Grade Level'
    ) as is_on_grade_level,
    percentile,
    mid_on_grade_level_scale_score,
    annual_typical_growth_measure,
    annual_stretch_growth_measure,
    diagnostic_gain,
    percent_progress_to_annual_typical_growth_percent,
    percent_progress_to_annual_stretch_growth_percent,
    source_file_name
from {{ source('iready', 'diagnostic_results') }}
