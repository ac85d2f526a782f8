-- One row per student enrolled today with the flags dashboards filter on: this
-- year's attendance rate and chronic absence, the latest i-Ready placement per
-- subject, and this year's DeansList incidents and behaviour points.
with attendance_years as (
    select code_location, max({{ fall_year('calendar_date') }}) as academic_year
    from {{ ref('fct_daily_attendance') }}
    group by code_location
),

attendance as (
    select
        a.code_location,
        a.student_number,
        -- PowerSchool's ADA/ADM values (int_powerschool__daily_attendance)
        sum(a.membership_value) as membership_days,
        sum(a.membership_value) - sum(a.attendance_value) as absent_days
    from {{ ref('fct_daily_attendance') }} as a
    inner join attendance_years as y
        on a.code_location = y.code_location
        and {{ fall_year('a.calendar_date') }} = y.academic_year
    group by a.code_location, a.student_number
),

iready as (
    select
        student_key,
        max(case when subject = 'Reading' then overall_relative_placement end)
            as iready_reading_placement,
        max(case when subject = 'Math' then overall_relative_placement end)
            as iready_math_placement
    from {{ ref('fct_iready_diagnostics') }}
    where is_most_recent
        and academic_year = (select max(academic_year) from {{ ref('fct_iready_diagnostics') }})
    group by student_key
),

incidents as (
    select student_key, count(*) as incidents
    from {{ ref('fct_behavior_incidents') }}
    where academic_year = (select max(academic_year) from {{ ref('fct_behavior_incidents') }})
    group by student_key
),

behavior as (
    select student_key, sum(point_value) as behavior_points
    from {{ ref('fct_behavior') }}
    where academic_year = (select max(academic_year) from {{ ref('fct_behavior') }})
    group by student_key
)

select
    s.student_key,
    s.code_location,
    s.student_number,
    s.school_number,
    s.school_name,
    s.grade_level,
    a.membership_days,
    a.absent_days,
    1 - cast(a.absent_days as {{ type_double() }}) / nullif(a.membership_days, 0)
        as attendance_rate,
    -- chronically absent: missing at least 10% of the days enrolled
    coalesce(a.absent_days >= 0.1 * a.membership_days, false) as is_chronically_absent,
    i.iready_reading_placement,
    i.iready_math_placement,
    coalesce(inc.incidents, 0) as incidents,
    coalesce(b.behavior_points, 0) as behavior_points
from {{ ref('dim_students') }} as s
left join attendance as a
    on s.code_location = a.code_location
    and s.student_number = a.student_number
left join iready as i
    on s.student_key = i.student_key
left join incidents as inc
    on s.student_key = inc.student_key
left join behavior as b
    on s.student_key = b.student_key
