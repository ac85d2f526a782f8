-- Every school in the network, one row each, named by region.
select
    code_location || '-' || cast(school_number as {{ dbt.type_string() }}) as school_key,
    code_location,
    school_number,
    school_name,
    school_abbreviation,
    low_grade,
    high_grade,
    school_city as city,
    school_state as state
from {{ ref('int_powerschool__schools') }}
-- graduates are kept at PowerSchool's Graduated Students school: not a school
where not is_graduated_students_school
