-- One row per school in the region's PowerSchool instance.
select
    id as school_id,
    dcid as school_dcid,
    school_number,
    name as school_name,
    abbreviation as school_abbreviation,
    low_grade,
    high_grade,
    schoolcity as school_city,
    schoolstate as school_state,
    -- PowerSchool keeps graduates at a "Graduated Students" school numbered 999999
    school_number = 999999 as is_graduated_students_school,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'schools') }}
