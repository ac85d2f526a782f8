-- A staff member at one school, one row per person and school (SchoolStaff).
select
    id as schoolstaff_id,
    dcid as schoolstaff_dcid,
    users_dcid,
    schoolid,
    status,
    status = 1 as is_active,
    staffstatus as staff_status,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'schoolstaff') }}
