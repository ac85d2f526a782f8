-- Per school and school year, PowerSchool's ADA/ADM (int_powerschool__daily_attendance):
--   membership_days   the sum of the days' membership values
--   attendance_days   the sum of their attendance values
--   absent_days       membership_days - attendance_days
--   ada               attendance_days / membership_days
--   chronic_absence_rate  the share of students with membership who missed 10% or
--                     more of it there (absent over membership)
with students as (
    select
        school_number,
        academic_year,
        student_id,
        sum(membership_value) as membership_days,
        sum(attendance_value) as attendance_days
    from {{ ref('int_powerschool__daily_attendance') }}
    group by school_number, academic_year, student_id
),

flagged as (
    select
        *,
        case
            when
                (membership_days - attendance_days) / membership_days
                >= cast(0.10 as {{ powerschool.type_double() }})
                then 1
            else 0
        end as is_chronically_absent
    from students
    where membership_days > 0
)

select
    school_number,
    academic_year,
    sum(membership_days) as membership_days,
    sum(attendance_days) as attendance_days,
    sum(membership_days) - sum(attendance_days) as absent_days,
    sum(attendance_days) / sum(membership_days) as ada,
    cast(count(*) as {{ dbt.type_bigint() }}) as students,
    cast(sum(is_chronically_absent) as {{ dbt.type_bigint() }}) as chronically_absent_students,
    cast(sum(is_chronically_absent) as {{ powerschool.type_double() }})
    / count(*) as chronic_absence_rate
from flagged
group by school_number, academic_year
