-- Every enrollment of every student: the current (or latest) one from `students`
-- and the earlier ones from `reenrollments`, each with its school year.
with enrollments as (
    select
        student_id,
        schoolid as school_number,
        grade_level,
        entry_date,
        exit_date,
        cast(null as {{ dbt.type_string() }}) as entry_code,
        cast(null as {{ dbt.type_string() }}) as exit_code,
        enroll_status,
        'students' as enrollment_source
    from {{ ref('stg_powerschool__students') }}

    union all

    select
        student_id,
        schoolid as school_number,
        grade_level,
        entry_date,
        exit_date,
        entry_code,
        exit_code,
        cast(null as {{ dbt.type_bigint() }}) as enroll_status,
        'reenrollments' as enrollment_source
    from {{ ref('stg_powerschool__reenrollments') }}
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
inner join {{ ref('stg_powerschool__students') }} as s
    on e.student_id = s.student_id
