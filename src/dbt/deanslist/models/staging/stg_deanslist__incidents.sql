-- One row per DeansList incident. DeansList's StudentSchoolID is the SIS student
-- number as text; schools are configured with their PowerSchool school number.
select
    incident_id,
    student_school_id,
    {{ dbt.safe_cast('student_school_id', dbt.type_bigint()) }} as student_number,
    school_id as school_number,
    incident_date,
    -- a naive timestamp lands as DATETIME on BigQuery: the contract says TIMESTAMP
    cast(create_ts as {{ dbt.type_timestamp() }}) as created_at,
    cast(update_ts as {{ dbt.type_timestamp() }}) as updated_at,
    category,
    infraction,
    status,
    status = 'Resolved' as is_resolved,
    location
from {{ source('deanslist', 'incidents') }}
