-- Grading periods (store codes Q1..Q4, Y1) of a term at a school.
select
    id as termbin_id,
    dcid as termbin_dcid,
    termid as term_id,
    schoolid,
    storecode as store_code,
    date1 as start_date,
    date2 as end_date,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'termbins') }}
