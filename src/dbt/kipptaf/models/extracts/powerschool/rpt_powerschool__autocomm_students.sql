{#-
    A login name part from a name column: lower case, without the characters
    PowerSchool web ids cannot hold (spaces, hyphens, apostrophes, periods). The
    apostrophe is chr(39): its escaped literal differs between DuckDB and BigQuery.
-#}
{%- set login_part -%}
    lower(replace(replace(replace(replace(
        coalesce(COLUMN, ''), ' ', ''), '-', ''), chr(39), ''), '.', ''))
{%- endset -%}

-- PowerSchool AutoComm student file: one row per currently enrolled student with
-- the web ids the student and family portals log in with. Web ids are derived, so
-- the same student always gets the same ones: first initial + last name + student
-- number for the student, and that plus '.family' for the parent account. The
-- student number makes them unique within a region. Passwords are never exported:
-- PowerSchool keeps or resets them itself. Each region's project filters this to
-- itself (`code_location`) and pushes it to its own PowerSchool.
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
        substr({{ login_part | replace('COLUMN', 's.first_name') }}, 1, 1)
        || {{ login_part | replace('COLUMN', 's.last_name') }}
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
