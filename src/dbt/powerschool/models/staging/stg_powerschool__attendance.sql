-- Attendance records; a student present with no exception has no record.
select
    id as attendance_id,
    dcid as attendance_dcid,
    studentid as student_id,
    schoolid,
    att_date as attendance_date,
    attendance_codeid as attendance_code_id,
    att_mode_code as attendance_mode_code,
    yearid as year_id,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'attendance') }}
