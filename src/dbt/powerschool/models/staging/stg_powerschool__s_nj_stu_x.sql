-- New Jersey state fields of a student, one row per student (special education).
select
    studentsdcid as students_dcid,
    specialed_classification,
    iepbegin_date as iep_begin_date,
    iepend_date as iep_end_date,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 's_nj_stu_x') }}
