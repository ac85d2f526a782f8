-- Enrollment forms against today's enrollment, for the enrollment workbook: per
-- published Enrollment API action and current school, how many of the school's
-- students have submitted. Submissions from people not enrolled today (new
-- applicants) make the action's row with no school.
with actions as (
    select
        id as action_id,
        name as action_name,
        code_location,
        cast(published_at as date) as published_date
    from {{ source('kipptaf_powerschool_enrollment', 'published_actions') }}
),

current_students as (
    select code_location, student_number, min(school_number) as school_number
    from {{ ref('fct_enrollments') }}
    where is_current
    group by code_location, student_number
),

schools as (
    select code_location, school_number, count(*) as enrolled_students
    from current_students
    group by code_location, school_number
),

action_schools as (
    select a.*, s.school_number, s.enrolled_students
    from actions as a
    inner join schools as s
        on a.code_location = s.code_location
    union all
    select
        a.*,
        cast(null as {{ dbt.type_bigint() }}) as school_number,
        cast(null as {{ dbt.type_bigint() }}) as enrolled_students
    from actions as a
),

submitted as (
    select
        r.action_id,
        c.school_number,
        count(*) as submissions,
        count(distinct r.student_number) as students_submitted,
        max(cast(r.submitted_at as date)) as last_submitted_date
    from {{ source('kipptaf_powerschool_enrollment', 'submission_records') }} as r
    inner join actions as a
        on r.action_id = a.action_id
    left join current_students as c
        on a.code_location = c.code_location
        and r.student_number = c.student_number
    group by r.action_id, c.school_number
)

select
    x.action_id,
    x.action_name,
    x.code_location,
    x.published_date,
    cast(x.school_number as {{ dbt.type_bigint() }}) as school_number,
    sch.school_name,
    cast(x.enrolled_students as {{ dbt.type_bigint() }}) as enrolled_students,
    coalesce(s.submissions, 0) as submissions,
    coalesce(s.students_submitted, 0) as students_submitted,
    cast(coalesce(s.students_submitted, 0) as {{ type_double() }})
    / nullif(x.enrolled_students, 0) as submission_rate,
    s.last_submitted_date
from action_schools as x
left join submitted as s
    on x.action_id = s.action_id
    and (
        x.school_number = s.school_number
        or (x.school_number is null and s.school_number is null)
    )
left join {{ ref('dim_schools') }} as sch
    on x.code_location = sch.code_location
    and x.school_number = sch.school_number
