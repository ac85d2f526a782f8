-- Each school's calendar: one row per school and weekday of the year.
select
    id as calendar_day_id,
    dcid as calendar_day_dcid,
    schoolid,
    date_value as calendar_date,
    insession as in_session,
    insession = 1 as is_in_session,
    cast(membershipvalue as {{ powerschool.type_double() }}) as membership_value,
    -- in session for students on track A..F (year-round calendars); 1 or 0
    a as track_a,
    b as track_b,
    c as track_c,
    d as track_d,
    e as track_e,
    f as track_f,
    bell_schedule_id,
    cycle_day_id
from {{ source('powerschool', 'calendar_day') }}
