-- Extended student fields, one row per student (StudentCoreFields).
select
    dcid as studentcorefields_dcid,
    studentsdcid as students_dcid,
    primarylanguage as primary_language,
    lep_status,
    lep_status = 'Y' as is_lep,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'studentcorefields') }}
