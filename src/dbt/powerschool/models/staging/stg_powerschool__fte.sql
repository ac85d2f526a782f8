-- Full-time-equivalence categories of a school per year.
select
    id as fte_id,
    dcid as fte_dcid,
    schoolid,
    yearid as year_id,
    name as fte_name,
    description,
    cast(fte_value as {{ powerschool.type_double() }}) as fte_value,
    dflt_att_mode_code as default_attendance_mode,
    dflt_conversion_mode_code as default_conversion_mode
from {{ source('powerschool', 'fte') }}
