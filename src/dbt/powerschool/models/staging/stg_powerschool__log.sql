-- Log entries about a student (parent contacts, notes).
select
    id as log_id,
    dcid as log_dcid,
    studentid as student_id,
    logtypeid as log_type_id,
    subject,
    entry_date,
    entry,
    entry_author
from {{ source('powerschool', 'log') }}
