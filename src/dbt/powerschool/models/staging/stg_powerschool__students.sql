-- One row per student record in the region's PowerSchool instance: the student's current
-- (or latest) enrollment. enroll_status: -1 pre-registered, 0 enrolled, 1 a record set
-- inactive (entered by mistake: it counts nowhere), 2 transferred out, 3 graduated (at
-- PowerSchool's Graduated Students school, 999999, grade 99).
select
    id as student_id,
    dcid as student_dcid,
    student_number,
    state_studentnumber as state_student_number,
    first_name,
    last_name,
    schoolid,
    grade_level,
    enroll_status,
    enroll_status = 0 as is_enrolled,
    entrydate as entry_date,
    exitdate as exit_date,
    entrycode as entry_code,
    exitcode as exit_code,
    dob as date_of_birth,
    gender,
    ethnicity,
    fteid as fte_id,
    cast(membershipshare as {{ powerschool.type_double() }}) as membership_share,
    nullif(trim(track), '') as track,
    graduated_schoolid as graduated_school_number,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'students') }}
