-- Staff accounts, one row per person (Users).
select
    dcid as users_dcid,
    first_name,
    last_name,
    email_addr as email,
    teachernumber as teacher_number,
    loginid as login_id,
    homeschoolid as home_schoolid,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'users') }}
