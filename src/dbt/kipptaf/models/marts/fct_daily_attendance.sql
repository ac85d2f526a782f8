-- One row per student per membership day across the network, with the day's
-- attendance code (null when present with no record).
select
    code_location,
    code_location || '-' || cast(student_number as {{ dbt.type_string() }}) as student_key,
    student_id,
    student_number,
    school_number,
    grade_level,
    calendar_date,
    academic_year,
    membership_value,
    attendance_value,
    attendance_code,
    attendance_code_description,
    presence_status,
    is_present,
    is_absent,
    is_tardy
from {{ ref('int_powerschool__daily_attendance') }}
