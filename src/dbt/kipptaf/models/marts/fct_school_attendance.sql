-- Per school and school year across the network: PowerSchool's membership,
-- attendance and absent days, average daily attendance and chronic-absence rate,
-- computed in each region (powerschool package, int_powerschool__school_attendance).
select
    a.code_location || '-' || cast(a.school_number as {{ dbt.type_string() }}) as school_key,
    a.code_location,
    a.school_number,
    sch.school_name,
    a.academic_year,
    a.membership_days,
    a.attendance_days,
    a.absent_days,
    a.ada,
    a.students,
    a.chronically_absent_students,
    a.chronic_absence_rate
from {{ ref('int_powerschool__school_attendance') }} as a
left join {{ ref('int_powerschool__schools') }} as sch
    on a.code_location = sch.code_location
    and a.school_number = sch.school_number
