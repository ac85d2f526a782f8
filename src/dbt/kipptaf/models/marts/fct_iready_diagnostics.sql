-- One row per completed i-Ready diagnostic in the network, with the SIS school it
-- was taken at, the test window, and which diagnostic is each student's latest.
with diagnostics as (
    select
        d.*,
        case
            when extract(month from d.completion_date) between 7 and 11 then 'Fall'
            when extract(month from d.completion_date) in (12, 1, 2, 3) then 'Winter'
            else 'Spring'
        end as test_round,
        row_number() over (
            partition by d.code_location, d.student_number, d.academic_year, d.subject
            order by d.completion_date desc
        ) as recency
    from {{ ref('int_iready__diagnostic_results') }} as d
)

select
    d.code_location || '-' || d.diagnostic_id as diagnostic_key,
    d.code_location,
    d.code_location || '-' || cast(d.student_number as {{ dbt.type_string() }}) as student_key,
    d.student_number,
    d.first_name,
    d.last_name,
    d.grade_level,
    sch.school_number,
    d.school_name,
    d.academic_year,
    d.subject,
    d.test_round,
    d.start_date,
    d.completion_date,
    d.is_baseline,
    d.overall_scale_score,
    d.overall_relative_placement,
    d.is_on_grade_level,
    d.percentile,
    d.recency = 1 as is_most_recent
from diagnostics as d
left join {{ ref('dim_schools') }} as sch
    on d.code_location = sch.code_location
    and d.school_name = sch.school_name
