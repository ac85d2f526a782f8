-- In-progress grades from the gradebook, per section and grading period.
select
    id as pgfinalgrade_id,
    dcid as pgfinalgrade_dcid,
    studentid as student_id,
    sectionid as section_id,
    finalgradename as final_grade_name,
    -- '--' is a teacher's "not graded yet": no grade, and its percent means nothing
    nullif(grade, '--') as grade,
    case
        when grade <> '--' then cast(percent as {{ powerschool.type_double() }})
    end as percent,
    startdate as start_date,
    enddate as end_date,
    {{ powerschool.local_timestamp('lastgradeupdate') }} as last_grade_update,
    cast(lastgradeupdate as date) as last_grade_update_date,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'pgfinalgrades') }}
