-- PowerSchool AutoComm special-education file: one row per currently enrolled
-- student with the IEP classification and dates and the 504 flag; students with
-- neither are included so cleared fields are cleared in PowerSchool too.
select
    e.code_location,
    e.student_number,
    e.school_number,
    sped.specialed_classification,
    sped.iep_begin_date,
    sped.iep_end_date,
    sped.has_iep,
    sped.has_504
from {{ ref('int_powerschool__student_enrollments') }} as e
inner join {{ ref('int_powerschool__special_education') }} as sped
    on e.code_location = sped.code_location
    and e.student_id = sped.student_id
where e.is_current
