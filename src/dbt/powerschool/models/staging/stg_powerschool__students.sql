-- One row per student record in the region's PowerSchool instance: the student's current
-- (or latest) enrollment.
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
    enroll_status = 0 as is_enrolled,
    entrydate as entry_date,
    exitdate as exit_date,
    dob as date_of_birth,
    gender,
    ethnicity,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'students') }}
