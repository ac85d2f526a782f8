-- One row per student: special-education classification and IEP dates (New
-- Jersey's S_NJ_STU_X, which every region's instance carries), the 504 flag (the
-- district's own field, U_StudentsUserFields, where the district has one, or the
-- state's, S_NJ_STU_X, which staff fill in for some students before reporting) and
-- limited English proficiency (StudentCoreFields).
select
    s.student_id,
    s.student_number,
    s.schoolid as school_number,
    nullif(trim(x.specialed_classification), '') as specialed_classification,
    x.iep_begin_date,
    x.iep_end_date,
    coalesce(trim(x.specialed_classification), '') not in ('', 'N') as has_iep,
    coalesce(uf.is_504, false) or coalesce(x.is_504_state, false) as has_504,
    coalesce(cf.is_lep, false) as is_lep
from {{ ref('stg_powerschool__students') }} as s
left join {{ ref('stg_powerschool__s_nj_stu_x') }} as x
    on s.student_dcid = x.students_dcid
left join {{ ref('stg_powerschool__u_studentsuserfields') }} as uf
    on s.student_dcid = uf.students_dcid
left join {{ ref('stg_powerschool__studentcorefields') }} as cf
    on s.student_dcid = cf.students_dcid
-- a record set inactive (entered by mistake) is no student
where s.enroll_status <> 1
