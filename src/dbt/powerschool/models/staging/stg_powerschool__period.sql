-- Class periods of a school's master schedule per year.
select
    id as period_id,
    dcid as period_dcid,
    schoolid,
    year_id,
    period_number,
    name as period_name,
    abbreviation as period_abbreviation,
    sort_order
from {{ source('powerschool', 'period') }}
