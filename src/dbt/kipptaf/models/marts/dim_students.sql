-- The network's current roster: one row per enrolled student, named by region.
select
    s.code_location || '-' || cast(s.student_number as {{ dbt.type_string() }}) as student_key,
    s.code_location,
    s.student_number,
    s.state_student_number,
    s.first_name,
    s.last_name,
    s.grade_level,
    s.schoolid as school_number,
    sch.school_name,
    sch.school_abbreviation,
    s.entry_date,
    s.date_of_birth,
    s.gender,
    coalesce(sp.has_iep, false) as has_iep,
    coalesce(sp.has_504, false) as has_504,
    coalesce(sp.is_lep, false) as is_lep
from {{ ref('int_powerschool__students') }} as s
left join {{ ref('int_powerschool__schools') }} as sch
    on s.code_location = sch.code_location
    and s.schoolid = sch.school_number
left join {{ ref('int_powerschool__special_education') }} as sp
    on s.code_location = sp.code_location
    and s.student_number = sp.student_number
where s.is_enrolled
