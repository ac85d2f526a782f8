-- One row per ADP work assignment (position), current and former. Names prefer the
-- worker's preferred name. `code_location` (from the payroll group) and
-- `school_number` (from the home location, and at a shared campus the home
-- department; null for an office) are kipptaf's ADP crosswalk, applied at load.
-- Active means ADP's assignment status is Active or Leave.
select
    position_id,
    associate_oid,
    worker_id,
    item_id,
    primary_indicator,
    payroll_group_code,
    payroll_file_number,
    code_location,
    coalesce(preferred_given_name, legal_given_name) as first_name,
    coalesce(preferred_family_name, legal_family_name) as last_name,
    work_email,
    job_title,
    job_code,
    home_work_location_code,
    home_work_location_name,
    home_department_code,
    home_department_name,
    home_business_unit_code,
    school_number,
    coalesce(hire_date, original_hire_date) as hire_date,
    actual_start_date,
    coalesce(termination_date, worker_termination_date) as termination_date,
    assignment_status_code,
    assignment_status_name as position_status,
    assignment_status_effective_date,
    worker_status_code,
    coalesce(assignment_status_name in ('Active', 'Leave'), false) as is_active
from {{ source('adp_workforce_now', 'workers') }}
