-- Every PowerSchool staff account in the network at its home school; `is_teacher`
-- tells teachers from other staff.
select
    t.code_location || '-' || cast(t.users_dcid as {{ dbt.type_string() }}) as teacher_key,
    t.code_location,
    t.users_dcid,
    t.teacher_number,
    t.first_name,
    t.last_name,
    t.login_id,
    t.email,
    t.school_number,
    sch.school_name,
    t.status,
    t.staff_status,
    t.is_teacher,
    t.is_active
from {{ ref('int_powerschool__teachers') }} as t
left join {{ ref('int_powerschool__schools') }} as sch
    on t.code_location = sch.code_location
    and t.school_number = sch.school_number
