-- School years and their terms per school; `term_id` repeats across schools.
select
    id as term_id,
    dcid as term_dcid,
    name as term_name,
    abbreviation as term_abbreviation,
    firstday as first_day,
    lastday as last_day,
    yearid as year_id,
    yearid + 1990 as academic_year,
    schoolid,
    portion,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'terms') }}
