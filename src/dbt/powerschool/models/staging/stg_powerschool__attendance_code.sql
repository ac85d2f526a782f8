-- Attendance codes per school and year, with the presence they mean.
select
    id as attendance_code_id,
    dcid as attendance_code_dcid,
    schoolid,
    yearid as year_id,
    att_code as attendance_code,
    description,
    presence_status_cd as presence_status,
    calculate_ada_yn,
    calculate_adm_yn,
    coalesce(calculate_ada_yn = 1, false) as counts_for_ada,
    coalesce(calculate_adm_yn = 1, false) as counts_for_adm
from {{ source('powerschool', 'attendance_code') }}
