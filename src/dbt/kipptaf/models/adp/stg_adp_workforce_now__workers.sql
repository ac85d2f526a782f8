-- One row per ADP position. ADP company codes are the regions' names in capitals.
select
    position_id,
    file_number,
    company_code,
    lower(company_code) as code_location,
    first_name,
    last_name,
    work_email,
    home_work_location,
    job_title,
    hire_date,
    position_status,
    termination_date,
    position_status = 'Active' as is_active
from {{ source('adp_workforce_now', 'workers') }}
