-- One row per student per section enrollment across the network, with the
-- section's course and lead teacher.
select
    r.code_location || '-' || cast(r.cc_id as {{ dbt.type_string() }}) as roster_key,
    r.code_location,
    r.cc_id,
    r.section_id,
    r.school_number,
    r.term_id,
    r.academic_year,
    r.course_number,
    r.course_name,
    r.section_number,
    r.code_location || '-' || cast(r.teacher_users_dcid as {{ dbt.type_string() }})
    as teacher_key,
    r.teacher_number,
    r.code_location || '-' || cast(r.student_number as {{ dbt.type_string() }}) as student_key,
    r.student_number,
    r.date_enrolled,
    r.date_left,
    r.is_dropped,
    r.is_left_school
from {{ ref('int_powerschool__section_rosters') }} as r
