-- GPA per student and school year across the network: PowerSchool's simple method over
-- each student's Y1 finals, computed in each region (int_powerschool__gpa).
select
    code_location
    || '-' || cast(student_number as {{ dbt.type_string() }})
    || '-' || cast(academic_year as {{ dbt.type_string() }}) as gpa_key,
    code_location,
    code_location || '-' || cast(student_number as {{ dbt.type_string() }}) as student_key,
    student_number,
    academic_year,
    gpa,
    courses,
    earned_credit_hours
from {{ ref('int_powerschool__gpa') }}
