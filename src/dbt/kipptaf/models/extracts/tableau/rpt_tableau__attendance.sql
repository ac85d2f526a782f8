-- Daily attendance per school for the attendance workbook: who was enrolled,
-- present, absent and tardy each school day, beside the school's year-to-date ADA
-- and chronic-absence rate.
with daily as (
    select
        code_location,
        school_number,
        calendar_date,
        count(*) as students,
        count(case when is_present then 1 end) as students_present,
        count(case when is_absent then 1 end) as students_absent,
        count(case when is_tardy then 1 end) as students_tardy
    from {{ ref('fct_daily_attendance') }}
    -- a day whose code is Not in Membership is a day of enrollment but no one's
    -- membership: counting it would make the student absent
    where membership_value > 0
    group by code_location, school_number, calendar_date
)

select
    d.code_location,
    d.school_number,
    sch.school_name,
    sch.school_abbreviation,
    cast({{ fall_year('d.calendar_date') }} as {{ dbt.type_bigint() }}) as academic_year,
    d.calendar_date,
    d.students,
    d.students_present,
    d.students_absent,
    d.students_tardy,
    cast(d.students_present as {{ type_double() }})
    / nullif(d.students, 0) as attendance_rate,
    cast(ytd.ada as {{ type_double() }}) as ytd_ada,
    cast(ytd.chronic_absence_rate as {{ type_double() }}) as ytd_chronic_absence_rate
from daily as d
left join {{ ref('dim_schools') }} as sch
    on d.code_location = sch.code_location
    and d.school_number = sch.school_number
left join {{ ref('fct_school_attendance') }} as ytd
    on d.code_location = ytd.code_location
    and d.school_number = ytd.school_number
    and {{ fall_year('d.calendar_date') }} = ytd.academic_year
