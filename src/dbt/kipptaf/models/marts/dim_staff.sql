-- One row per ADP position (current and former staff), with the SIS school of the
-- home work location when it is a school.
select
    w.position_id as staff_key,
    w.position_id,
    w.file_number,
    w.company_code,
    w.code_location,
    w.first_name,
    w.last_name,
    w.work_email,
    w.job_title,
    w.home_work_location,
    sch.school_number as home_school_number,
    w.hire_date,
    w.termination_date,
    w.position_status,
    w.is_active
from {{ ref('stg_adp_workforce_now__workers') }} as w
left join {{ ref('dim_schools') }} as sch
    on w.code_location = sch.code_location
    and w.home_work_location = sch.school_name
