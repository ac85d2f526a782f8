-- Full-time-equivalence categories of a school per year.
select
    id as fte_id,
    dcid as fte_dcid,
    schoolid,
    yearid as year_id,
    name as fte_name,
    description,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'fte') }}
