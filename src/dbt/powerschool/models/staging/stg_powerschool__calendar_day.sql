-- Each school's calendar: one row per school and weekday of the year.
select
    id as calendar_day_id,
    dcid as calendar_day_dcid,
    schoolid,
    date_value as calendar_date,
    insession as in_session,
    insession = 1 as is_in_session,
    cast(membershipvalue as {{ powerschool.type_double() }}) as membership_value,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'calendar_day') }}
