-- District-defined student fields, one row per student.
select
    studentsdcid as students_dcid,
    c_504_status,
    -- district-defined text field holding 1 for a Section 504 plan; NULL where the
    -- district's instance has no such field (the SFTP export lands it NULL)
    coalesce(trim(c_504_status) = '1', false) as is_504,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'u_studentsuserfields') }}
