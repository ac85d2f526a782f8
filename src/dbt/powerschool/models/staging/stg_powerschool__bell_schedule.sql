-- Bell schedules of a school per year.
select
    id as bell_schedule_id,
    dcid as bell_schedule_dcid,
    schoolid,
    year_id,
    name as bell_schedule_name,
    attendance_conversion_id
from {{ source('powerschool', 'bell_schedule') }}
