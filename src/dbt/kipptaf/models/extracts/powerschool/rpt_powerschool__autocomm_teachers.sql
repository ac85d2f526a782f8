-- PowerSchool AutoComm teacher file: one row per staff account with a teacher
-- number, with its login, email, home school and status (1 active, 2 inactive),
-- so each region's PowerSchool keeps accounts in step. No passwords.
select
    code_location,
    teacher_number,
    first_name,
    last_name,
    login_id,
    login_id as teacher_login_id,
    email,
    school_number,
    coalesce(status, 2) as status,
    staff_status,
    is_active
from {{ ref('int_powerschool__teachers') }}
where teacher_number is not null
