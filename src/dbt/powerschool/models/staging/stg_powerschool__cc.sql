-- Course enrollments: a student in a section (CC). PowerSchool makes the section and term
-- ids of an enrollment it ended negative, both when the student dropped the section and
-- when the student's enrollment at the school ended (a withdrawal, a transfer, a grade
-- change): int_powerschool__section_rosters tells them apart.
select
    id as cc_id,
    dcid as cc_dcid,
    studentid as student_id,
    sectionid as section_id,
    abs(sectionid) as abs_section_id,
    sectionid < 0 as is_ended,
    schoolid,
    abs(termid) as term_id,
    course_number,
    section_number,
    dateenrolled as date_enrolled,
    dateleft as date_left,
    {{ powerschool.local_timestamp('transaction_date') }} as transaction_date
from {{ source('powerschool', 'cc') }}
