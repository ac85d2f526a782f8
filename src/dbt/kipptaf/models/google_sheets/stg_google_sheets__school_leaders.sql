-- The school leader of each school, as the network office keeps them in the sheet.
select
    code_location,
    school_number,
    school_leader,
    lower(leader_email) as leader_email
from {{ source('google_sheets', 'school_leaders') }}
