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
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'schools') }}
