-- Class sections of a course in a term.
select
    id as section_id,
    dcid as section_dcid,
    course_number,
    section_number,
    schoolid,
    termid as term_id,
    teacher as teacher_schoolstaff_id,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'sections') }}
