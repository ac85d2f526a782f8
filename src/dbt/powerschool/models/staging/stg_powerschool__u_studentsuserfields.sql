-- District-defined student fields, one row per student.
select
    studentsdcid as students_dcid,
    c_504_status,
    c_504_status = 'Y' as is_504,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'u_studentsuserfields') }}
