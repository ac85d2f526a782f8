-- Past enrollments of a student (the current one is on `students`).
select
    id as reenrollment_id,
    dcid as reenrollment_dcid,
    studentid as student_id,
    schoolid,
    grade_level,
    entrydate as entry_date,
    exitdate as exit_date,
    entrycode as entry_code,
    exitcode as exit_code,
    fteid as fte_id,
    cast(membershipshare as {{ powerschool.type_double() }}) as membership_share,
    nullif(trim(track), '') as track
from {{ source('powerschool', 'reenrollments') }}
