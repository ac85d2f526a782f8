-- One row per DeansList behaviour entry (merits and demerits with their points).
select
    dlsaid as behavior_id,
    student_school_id,
    {{ dbt.safe_cast('student_school_id', dbt.type_bigint()) }} as student_number,
    school_id as school_number,
    behavior_date,
    behavior,
    behavior_category,
    point_value,
    point_value > 0 as is_positive
from {{ source('deanslist', 'behavior') }}
