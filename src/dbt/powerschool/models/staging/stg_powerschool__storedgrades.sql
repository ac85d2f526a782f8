-- Final (stored) grades, this year's terms and historical ones.
select
    dcid as storedgrade_dcid,
    studentid as student_id,
    schoolid,
    termid as term_id,
    cast(floor(termid / 100) as {{ dbt.type_bigint() }}) as year_id,
    cast(floor(termid / 100) as {{ dbt.type_bigint() }}) + 1990 as academic_year,
    storecode as store_code,
    grade_level,
    course_number,
    course_name,
    grade,
    cast(percent as {{ powerschool.type_double() }}) as percent,
    cast(gpa_points as {{ powerschool.type_double() }}) as gpa_points,
    cast(earnedcrhrs as {{ powerschool.type_double() }}) as earned_credit_hours,
    datestored as date_stored,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'storedgrades') }}
