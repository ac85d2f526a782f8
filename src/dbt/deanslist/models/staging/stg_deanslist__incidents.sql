-- One row per DeansList incident of the region, deleted ones included and flagged
-- (`is_deleted`: DeansList listed it among its deleted rows, or no longer active);
-- the marts leave them out. DeansList's StudentSchoolID is the SIS student number as
-- text; `school_number` is the PowerSchool school the region's crosswalk
-- (config/deanslist.yaml) gave DeansList's own school id at load. Times landed in UTC
-- without a zone: on BigQuery that is a DATETIME, so each is cast to the contract's
-- TIMESTAMP.
select
    incident_id,
    school_id as deanslist_school_id,
    school_number,
    student_id as deanslist_student_id,
    student_school_id,
    {{ dbt.safe_cast('student_school_id', dbt.type_bigint()) }} as student_number,
    issue_date as incident_date,
    cast(issue_ts as {{ dbt.type_timestamp() }}) as issued_at,
    cast(create_ts as {{ dbt.type_timestamp() }}) as created_at,
    cast(update_ts as {{ dbt.type_timestamp() }}) as updated_at,
    cast(close_ts as {{ dbt.type_timestamp() }}) as closed_at,
    category,
    category_id,
    infraction,
    infraction_type_id,
    location,
    location_id,
    status,
    status_id,
    close_ts is not null as is_resolved,
    coalesce(is_referral, false) as is_referral,
    is_deleted or not is_active as is_deleted,
    fiscal_year
from {{ source('deanslist', 'incidents') }}
