-- Course enrollments: a student in a section (CC). A dropped enrollment has a negative
-- `section_id`.
select
    id as cc_id,
    dcid as cc_dcid,
    studentid as student_id,
    sectionid as section_id,
    schoolid,
    termid as term_id,
    course_number,
    section_number,
    dateenrolled as date_enrolled,
    dateleft as date_left,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'cc') }}
