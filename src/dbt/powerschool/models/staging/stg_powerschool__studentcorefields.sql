-- Extended student fields, one row per student (StudentCoreFields).
select
    studentsdcid as students_dcid,
    primarylanguage as primary_language,
    lep_status,
    -- staff type the flag as 1, Y or YES (any case); anything else is not LEP
    coalesce(upper(trim(lep_status)) in ('1', 'Y', 'YES'), false) as is_lep,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'studentcorefields') }}
