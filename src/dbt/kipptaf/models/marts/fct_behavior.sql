-- One row per DeansList behaviour entry (merit or demerit) in the network.
select
    b.code_location || '-' || cast(b.behavior_id as {{ dbt.type_string() }}) as behavior_key,
    b.code_location,
    b.behavior_id,
    b.code_location || '-' || b.student_school_id as student_key,
    b.student_number,
    b.school_number,
    sch.school_name,
    b.behavior_date,
    {{ fall_year('b.behavior_date') }} as academic_year,
    b.behavior,
    b.behavior_category,
    b.point_value,
    b.is_positive
from {{ ref('int_deanslist__behavior') }} as b
left join {{ ref('dim_schools') }} as sch
    on b.code_location = sch.code_location
    and b.school_number = sch.school_number
