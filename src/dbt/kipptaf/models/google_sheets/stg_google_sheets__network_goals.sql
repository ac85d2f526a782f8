-- One goal per school and metric, as the network office typed it into the sheet.
select
    code_location,
    school_number,
    metric,
    cast(goal as {{ type_double() }}) as goal
from {{ source('google_sheets', 'network_goals') }}
