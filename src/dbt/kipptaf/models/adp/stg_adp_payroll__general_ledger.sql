-- One row per payroll journal line. `pay_date` and the payroll group (ADP's company
-- code) come from the file's name; `code_location` (from the group) and
-- `school_number` (from LOCATION_ID, and at a shared campus DEPT_ID; null for an
-- office) are kipptaf's ADP crosswalk, applied at load. `amount` is the net debit.
select
    gl.source_file_date as pay_date,
    gl.date as gl_date,
    gl.source_group_code as company_code,
    gl.code_location,
    gl.source_file_name,
    gl.journal,
    gl.reference_no,
    gl.line_no,
    cast(gl.acct_no as {{ dbt.type_string() }}) as gl_account,
    gl.memo as gl_description,
    cast(gl.location_id as {{ dbt.type_string() }}) as location_id,
    cast(gl.dept_id as {{ dbt.type_string() }}) as department_id,
    gl.school_number,
    gl.employee_name,
    gl.file_number,
    gl.position_id,
    gl.job_title as job_code,
    coalesce(gl.debit, 0) as debit,
    coalesce(gl.credit, 0) as credit,
    coalesce(gl.debit, 0) - coalesce(gl.credit, 0) as amount
from {{ source('adp_payroll', 'general_ledger') }} as gl
