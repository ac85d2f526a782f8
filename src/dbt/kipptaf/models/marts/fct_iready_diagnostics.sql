-- One row per completed i-Ready diagnostic of an SIS student in the network (demo
-- accounts, whose Student ID is no SIS number, are left out), with the PowerSchool
-- school the region's crosswalk gave i-Ready's school name, the test window, and
-- i-Ready's own flag for each student's latest diagnostic of the subject this year.
select
    d.code_location || '-' || d.diagnostic_id as diagnostic_key,
    d.code_location,
    d.code_location || '-' || cast(d.student_number as {{ dbt.type_string() }}) as student_key,
    d.student_number,
    d.first_name,
    d.last_name,
    d.grade_level,
    d.school_number,
    d.school_name,
    d.academic_year,
    d.subject,
    case
        when extract(month from d.completion_date) between 7 and 11 then 'Fall'
        when extract(month from d.completion_date) in (12, 1, 2, 3) then 'Winter'
        else 'Spring'
    end as test_round,
    d.start_date,
    d.completion_date,
    d.is_baseline,
    d.overall_scale_score,
    d.overall_relative_placement,
    d.is_on_grade_level,
    d.percentile,
    d.is_most_recent
from {{ ref('int_iready__diagnostic_results') }} as d
where d.student_number is not null
