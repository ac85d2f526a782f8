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
    coalesce(isyearrec = 1, false) as is_year_term,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'terms') }}
