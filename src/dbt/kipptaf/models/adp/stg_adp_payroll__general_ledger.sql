-- One row per payroll GL line; `amount` is the line's net debit. The cost center
-- is the PowerSchool school number of the position's home location.
select
    pay_date,
    company_code,
    lower(company_code) as code_location,
    file_number,
    position_id,
    cost_center,
    {{ dbt.safe_cast('cost_center', dbt.type_bigint()) }} as school_number,
    gl_account,
    description,
    debit,
    credit,
    debit - credit as amount
from {{ source('adp_payroll', 'general_ledger') }}
