-- Special-program enrollments (special education, English learners, ...).
select
    id as spenrollment_id,
    dcid as spenrollment_dcid,
    studentid as student_id,
    programid as program_id,
    schoolid,
    gradelevel as grade_level,
    enter_date,
    exit_date
from {{ source('powerschool', 'spenrollments') }}
