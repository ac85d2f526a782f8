-- One row per staff account (Users) at its home school (SchoolStaff): what the
-- AutoComm teacher export and the network's staff views need. `is_teacher` tells
-- teachers from other staff.
select
    u.users_dcid,
    u.teacher_number,
    u.first_name,
    u.last_name,
    u.login_id,
    u.email,
    u.home_schoolid as school_number,
    ss.schoolstaff_id,
    ss.status,
    ss.staff_status,
    coalesce(ss.staff_status = 1, false) as is_teacher,
    coalesce(ss.is_active, false) as is_active
from {{ ref('stg_powerschool__users') }} as u
left join {{ ref('stg_powerschool__schoolstaff') }} as ss
    on u.users_dcid = ss.users_dcid
    and u.home_schoolid = ss.schoolid
