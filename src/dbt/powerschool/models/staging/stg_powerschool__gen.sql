-- General lookups (code lists) by category.
select
    id as gen_id,
    dcid as gen_dcid,
    cat as category,
    name,
    value,
    yearid as year_id
from {{ source('powerschool', 'gen') }}
