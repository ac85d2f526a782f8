-- Per school and school year: average daily attendance and chronic absence.
--   membership_days  student-days in membership (int_powerschool__daily_attendance)
--   absent_days      those with a daily code whose presence status is 'Absent'
--   ada              (membership_days - absent_days) / membership_days
--   chronic_absence_rate  share of the students with membership who missed 10% or
--                    more of their membership days there
with students as (
    select
        school_number,
        academic_year,
        student_id,
        count(*) as membership_days,
        cast(sum(case when is_absent then 1 else 0 end) as {{ dbt.type_bigint() }}) as absent_days
    from {{ ref('int_powerschool__daily_attendance') }}
    group by school_number, academic_year, student_id
),

flagged as (
    select
        *,
        case
            when
                cast(absent_days as {{ powerschool.type_double() }}) / membership_days
                >= cast(0.10 as {{ powerschool.type_double() }})
                then 1
            else 0
        end as is_chronically_absent
    from students
)

select
    school_number,
    academic_year,
    cast(sum(membership_days) as {{ dbt.type_bigint() }}) as membership_days,
    cast(sum(absent_days) as {{ dbt.type_bigint() }}) as absent_days,
    cast(sum(membership_days) - sum(absent_days) as {{ powerschool.type_double() }})
    / sum(membership_days) as ada,
    cast(count(*) as {{ dbt.type_bigint() }}) as students,
    cast(sum(is_chronically_absent) as {{ dbt.type_bigint() }}) as chronically_absent_students,
    cast(sum(is_chronically_absent) as {{ powerschool.type_double() }})
    / count(*) as chronic_absence_rate
from flagged
group by school_number, academic_year
