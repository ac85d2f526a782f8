select
    id as student_id,
    dcid as student_dcid,
    student_number,
    state_studentnumber as state_student_number,
    first_name,
    last_name,
    schoolid,
    grade_level,
    enroll_status,
    -- PowerSchool: 0 active, -1 pre-registered, 2 transferred out, 3 graduated
    enroll_status = 0 as is_enrolled,
    entrydate as entry_date,
    exitdate as exit_date,
    dob as date_of_birth,
    gender,
    whenmodified as when_modified
from {{ source('powerschool', 'students') }}
