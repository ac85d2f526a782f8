-- Enrollment forms against today's enrollment, for the enrollment workbook: per
-- published Enrollment API action and current school, how many of the school's
-- students have submitted. An action does not say which region it is for: each record
-- finds its region and school through its student (externalStudentID = the SIS student
-- number of a student enrolled today, in exactly one region). Records of anyone else
-- (new applicants; a number enrolled in no region or in several) make the action's row
-- with no school, as does an action with no records yet.
with actions as (
    select action_id, action_name, academic_year
    from {{ ref('stg_powerschool_enrollment__published_actions') }}
),

enrolled as (
    select code_location, student_number, min(school_number) as school_number
    from {{ ref('fct_enrollments') }}
    where is_current
    group by code_location, student_number
),

-- a student number enrolled in two regions names nobody for sure
current_students as (
    select e.*
    from enrolled as e
    inner join (
        select student_number
        from enrolled
        group by student_number
        having count(*) = 1
    ) as once
        on e.student_number = once.student_number
),

schools as (
    select code_location, school_number, count(*) as enrolled_students
    from current_students
    group by code_location, school_number
),

per_school as (
    select
        r.action_id,
        c.code_location,
        c.school_number,
        count(case when r.is_submitted then 1 end) as submissions,
        -- a record with no SIS number (a new applicant) is one student of its own
        count(
            distinct case
                when r.is_submitted
                    then coalesce(
                        cast(r.student_number as {{ dbt.type_string() }}),
                        'record ' || cast(r.record_id as {{ dbt.type_string() }})
                    )
            end
        ) as students_submitted,
        -- the day on the schools' clock: the API's times are UTC
        max(case when r.is_submitted then {{ local_date('r.submitted_at') }} end)
            as last_submitted_date
    from {{ ref('stg_powerschool_enrollment__submission_records') }} as r
    left join current_students as c
        on r.student_number = c.student_number
    group by r.action_id, c.code_location, c.school_number
)

select
    a.action_id,
    a.action_name,
    p.code_location,
    a.academic_year,
    cast(p.school_number as {{ dbt.type_bigint() }}) as school_number,
    sch.school_name,
    cast(s.enrolled_students as {{ dbt.type_bigint() }}) as enrolled_students,
    coalesce(p.submissions, 0) as submissions,
    coalesce(p.students_submitted, 0) as students_submitted,
    cast(coalesce(p.students_submitted, 0) as {{ type_double() }})
    / nullif(s.enrolled_students, 0) as submission_rate,
    p.last_submitted_date
from actions as a
left join per_school as p
    on a.action_id = p.action_id
left join schools as s
    on p.code_location = s.code_location
    and p.school_number = s.school_number
left join {{ ref('dim_schools') }} as sch
    on p.code_location = sch.code_location
    and p.school_number = sch.school_number
