-- The course catalog.
select
    id as course_id,
    dcid as course_dcid,
    course_number,
    course_name,
    cast(credit_hours as {{ powerschool.type_double() }}) as credit_hours,
    credittype as credit_type,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'courses') }}
