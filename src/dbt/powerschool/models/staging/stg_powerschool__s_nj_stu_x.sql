-- New Jersey state fields of a student, one row per student (special education).
select
    studentsdcid as students_dcid,
    specialed_classification,
    iep_begin_date,
    iep_end_date,
    pid_504_tf,
    coalesce(pid_504_tf = 1, false) as is_504_state,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 's_nj_stu_x') }}
