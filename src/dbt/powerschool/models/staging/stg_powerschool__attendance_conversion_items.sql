-- How an attendance code converts to a day's attendance value, per FTE and conversion
-- (the bell schedule names its conversion): PowerSchool's ADA counts the value of the
-- day's code, or of the year's Present code on a day with no record.
select
    id as attendance_conversion_item_id,
    dcid as attendance_conversion_item_dcid,
    attendance_conversion_id,
    fteid as fte_id,
    input_value as attendance_code_id,
    cast(attendance_value as {{ powerschool.type_double() }}) as attendance_value,
    conversion_mode_code
from {{ source('powerschool', 'attendance_conversion_items') }}
