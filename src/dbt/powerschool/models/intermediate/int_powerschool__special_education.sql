-- One row per student: special-education classification and IEP dates (New
-- Jersey's S_NJ_STU_X, which every region's instance carries) and the 504 flag
-- (U_StudentsUserFields).
select
    s.student_id,
    s.student_number,
    s.schoolid as school_number,
    nullif(trim(x.specialed_classification), '') as specialed_classification,
    x.iep_begin_date,
    x.iep_end_date,
    coalesce(trim(x.specialed_classification), '') not in ('', 'N') as has_iep,
    coalesce(uf.is_504, false) as has_504
from {{ ref('stg_powerschool__students') }} as s
left join {{ ref('stg_powerschool__s_nj_stu_x') }} as x
    on s.student_dcid = x.students_dcid
left join {{ ref('stg_powerschool__u_studentsuserfields') }} as uf
    on s.student_dcid = uf.students_dcid
