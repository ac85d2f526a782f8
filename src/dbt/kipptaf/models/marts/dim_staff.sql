-- One row per ADP position (current and former staff), with the PowerSchool school of
-- its home site (kipptaf's ADP crosswalk; null for an office such as the network's).
select
    w.position_id as staff_key,
    w.position_id,
    w.payroll_file_number as file_number,
    w.payroll_group_code as company_code,
    w.code_location,
    w.first_name,
    w.last_name,
    w.work_email,
    w.job_title,
    w.home_work_location_name as home_work_location,
    w.school_number as home_school_number,
    w.hire_date,
    w.termination_date,
    w.position_status,
    w.is_active
from {{ ref('stg_adp_workforce_now__workers') }} as w
