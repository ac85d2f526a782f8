-- One row per DeansList behaviour entry (merits and demerits with their points).
-- DeansList sends no deleted entries here: one removed in DeansList is gone at the next
-- load of its school year. `school_number` is the PowerSchool school the region's
-- crosswalk gave DeansList's DLSchoolID at load.
select
    dlsaid as behavior_id,
    behavior_id as behavior_type_id,
    dl_school_id as deanslist_school_id,
    school_number,
    dl_student_id as deanslist_student_id,
    student_school_id,
    {{ dbt.safe_cast('student_school_id', dbt.type_bigint()) }} as student_number,
    behavior_date,
    behavior,
    behavior_category,
    point_value,
    point_value > 0 as is_positive,
    roster,
    roster_id,
    cast(dl_last_update as {{ dbt.type_timestamp() }}) as updated_at,
    fiscal_year
from {{ source('deanslist', 'behavior') }}
