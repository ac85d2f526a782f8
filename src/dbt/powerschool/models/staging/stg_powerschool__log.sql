-- Log entries about a student (parent contacts, notes).
select
    id as log_id,
    dcid as log_dcid,
    studentid as student_id,
    schoolid,
    logtypeid as log_type_id,
    subject,
    entry_date,
    entry,
    entry_author,
    {{ powerschool.local_timestamp('whenmodified') }} as when_modified
from {{ source('powerschool', 'log') }}
