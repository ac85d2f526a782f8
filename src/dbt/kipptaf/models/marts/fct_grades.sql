-- Every grade across the network: final (stored) and in progress (gradebook).
select
    code_location || '-' || grade_type || '-' || cast(grade_dcid as {{ dbt.type_string() }})
    as grade_key,
    code_location,
    code_location || '-' || cast(student_number as {{ dbt.type_string() }}) as student_key,
    student_number,
    school_number,
    academic_year,
    term_id,
    term,
    grade_level,
    course_number,
    course_name,
    section_id,
    grade_type,
    grade,
    percent,
    gpa_points,
    earned_credit_hours,
    grade_date
from {{ ref('int_powerschool__grades') }}
