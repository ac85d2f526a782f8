-- PowerSchool AutoComm student file: one row per currently enrolled student with
-- the web ids the student and family portals log in with. Web ids are derived, so
-- the same student always gets the same ones. Each name is first reduced to a-z and
-- 0-9 (macros/web_id_part.sql: an accent drops to its base letter, everything else
-- goes); the student's web id is the first character of the reduced first name + the
-- reduced last name + the student number, the parent's is that + '.family'. A name
-- with no Latin letter adds nothing, and the student number keeps every web id unique
-- within a region. Passwords are never exported: PowerSchool keeps or resets them
-- itself. Each region's project filters this to itself (`code_location`) and pushes
-- it to its own PowerSchool.
with students as (
    select
        e.code_location,
        s.student_number,
        s.state_student_number,
        s.first_name,
        s.last_name,
        e.school_number,
        e.grade_level,
        e.entry_date,
        e.exit_date,
        substr({{ web_id_part('s.first_name') }}, 1, 1)
        || {{ web_id_part('s.last_name') }}
        || cast(s.student_number as {{ dbt.type_string() }}) as student_web_id
    from {{ ref('int_powerschool__student_enrollments') }} as e
    inner join {{ ref('int_powerschool__students') }} as s
        on e.code_location = s.code_location
        and e.student_id = s.student_id
    where e.is_current
)

select
    code_location,
    student_number,
    state_student_number,
    first_name,
    last_name,
    school_number,
    grade_level,
    entry_date,
    exit_date,
    student_web_id,
    true as student_allow_web_access,
    student_web_id || '.family' as parent_web_id,
    true as parent_allow_web_access
from students
