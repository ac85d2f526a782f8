-- One row per Enrollment submission record: a family on a form's roster (imported) or
-- that started it; `is_submitted` once the family submitted. `externalStudentID` is the
-- SIS student number of a returning student (null for a new applicant). Times landed
-- in UTC without a zone (a DATETIME on BigQuery), cast to the contract's TIMESTAMP. The
-- form's answers (`data_items`) and `tags` stay in the landed table.
select
    published_action_id as action_id,
    id as record_id,
    status,
    first_name,
    last_name,
    date_of_birth,
    external_student_id,
    {{ dbt.safe_cast('external_student_id', dbt.type_bigint()) }} as student_number,
    external_family_id,
    household,
    school as school_name,
    grade,
    enroll_status,
    cast(imported as {{ dbt.type_timestamp() }}) as imported_at,
    cast(started as {{ dbt.type_timestamp() }}) as started_at,
    cast(submitted as {{ dbt.type_timestamp() }}) as submitted_at,
    submitted is not null as is_submitted
from {{ source('kipptaf_powerschool_enrollment', 'submission_records') }}
