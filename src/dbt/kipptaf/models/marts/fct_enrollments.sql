-- Every enrollment of every student in the network: the current school year's on
-- the student record and the earlier ones (PowerSchool's reenrollments).
select
    e.code_location
    || '-' || cast(e.student_number as {{ dbt.type_string() }})
    || '-' || cast(e.school_number as {{ dbt.type_string() }})
    || '-' || cast(e.entry_date as {{ dbt.type_string() }}) as enrollment_key,
    e.code_location,
    e.code_location || '-' || cast(e.student_number as {{ dbt.type_string() }}) as student_key,
    e.student_id,
    e.student_number,
    e.school_number,
    sch.school_name,
    e.grade_level,
    e.entry_date,
    e.exit_date,
    e.entry_code,
    e.exit_code,
    e.academic_year,
    e.is_current,
    e.enroll_status,
    e.is_enrolled,
    e.enrollment_source
from {{ ref('int_powerschool__student_enrollments') }} as e
left join {{ ref('int_powerschool__schools') }} as sch
    on e.code_location = sch.code_location
    and e.school_number = sch.school_number
