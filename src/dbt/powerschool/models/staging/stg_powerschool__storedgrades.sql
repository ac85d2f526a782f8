-- Stored grades, this year's terms and historical ones: a row per store code (Q1..Q4 at
-- each quarter's end, carrying no GPA points; Y1, the final, at the end of the course's
-- term). Only Y1 rows count toward GPA.
select
    dcid as storedgrade_dcid,
    studentid as student_id,
    schoolid,
    termid as term_id,
    sectionid as section_id,
    -- a term id is yearid * 100 + n (negative when the enrollment was dropped)
    cast(floor(abs(termid) / 100) as {{ dbt.type_bigint() }}) as year_id,
    cast(floor(abs(termid) / 100) as {{ dbt.type_bigint() }}) + 1990 as academic_year,
    storecode as store_code,
    grade_level,
    course_number,
    course_name,
    grade,
    cast(percent as {{ powerschool.type_double() }}) as percent,
    cast(gpa_points as {{ powerschool.type_double() }}) as gpa_points,
    cast(potentialcrhrs as {{ powerschool.type_double() }}) as potential_credit_hours,
    cast(earnedcrhrs as {{ powerschool.type_double() }}) as earned_credit_hours,
    coalesce(excludefromgpa = 1, false) as is_excluded_from_gpa,
    datestored as date_stored,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'storedgrades') }}
