-- Every enrollment of every student: the current (or latest) one from `students` and
-- the earlier ones from `reenrollments`, each with its school year. Records PowerSchool
-- marks inactive (enroll_status 1, entered by mistake) are left out with their
-- history, as PowerSchool's own ADA/ADM does; so is a graduate's place at the
-- Graduated Students school, which is where graduates are kept, not an enrollment
-- (the senior year is a re-enrollment).
with students as (
    select *
    from {{ ref('stg_powerschool__students') }}
    where enroll_status <> 1
),

enrollments as (
    select
        student_id,
        schoolid as school_number,
        grade_level,
        entry_date,
        exit_date,
        entry_code,
        exit_code,
        fte_id,
        membership_share,
        track,
        enroll_status,
        'students' as enrollment_source
    from students
    where schoolid <> 999999

    union all

    select
        r.student_id,
        r.schoolid as school_number,
        r.grade_level,
        r.entry_date,
        r.exit_date,
        r.entry_code,
        r.exit_code,
        r.fte_id,
        r.membership_share,
        r.track,
        cast(null as {{ dbt.type_bigint() }}) as enroll_status,
        'reenrollments' as enrollment_source
    from {{ ref('stg_powerschool__reenrollments') }} as r
    inner join students as s
        on r.student_id = s.student_id
)

select
    e.student_id,
    s.student_number,
    e.school_number,
    e.grade_level,
    e.entry_date,
    e.exit_date,
    e.entry_code,
    e.exit_code,
    e.fte_id,
    e.membership_share,
    e.track,
    {{ powerschool.fall_year('e.entry_date') }} as academic_year,
    -- the student's enrollment now: this school year's (var current_academic_year)
    -- on the student record, still active (not withdrawn, not pre-registered)
    coalesce(
        e.enrollment_source = 'students'
        and e.enroll_status = 0
        and {{ powerschool.fall_year('e.entry_date') }} = {{ var('current_academic_year') }},
        false
    ) as is_current,
    e.enroll_status,
    coalesce(e.enroll_status = 0, false) as is_enrolled,
    e.enrollment_source
from enrollments as e
inner join students as s
    on e.student_id = s.student_id
