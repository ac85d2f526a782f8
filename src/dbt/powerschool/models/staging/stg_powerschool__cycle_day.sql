-- Rotation days (A-day, B-day, ...) of a school's schedule per year.
select
    id as cycle_day_id,
    dcid as cycle_day_dcid,
    schoolid,
    year_id,
    day_number,
    letter,
    abbreviation as cycle_day_abbreviation,
    day_name
from {{ source('powerschool', 'cycle_day') }}
