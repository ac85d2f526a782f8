-- One row per student per section enrollment (CC), with the section's course and
-- lead teacher. PowerSchool ends an enrollment by making its section id negative, both
-- when the student drops the section and when the student leaves school; an ended
-- enrollment whose last day is the student's exit from school, for a student who has
-- left (transferred out or graduated), is a departure, any other is a drop.
select
    cc.cc_id,
    cc.abs_section_id as section_id,
    sec.schoolid as school_number,
    sec.term_id,
    -- PowerSchool's term ids are `yearid * 100 + n`; yearid 36 is 2026-27
    cast(floor(sec.term_id / 100) as {{ dbt.type_bigint() }}) + 1990 as academic_year,
    sec.course_number,
    c.course_name,
    sec.section_number,
    ss.users_dcid as teacher_users_dcid,
    u.teacher_number,
    cc.student_id,
    s.student_number,
    cc.date_enrolled,
    cc.date_left,
    cc.is_ended,
    cc.is_ended and coalesce(
        s.enroll_status in (2, 3) and cc.date_left = s.exit_date, false
    ) as is_left_school,
    cc.is_ended and not coalesce(
        s.enroll_status in (2, 3) and cc.date_left = s.exit_date, false
    ) as is_dropped
from {{ ref('stg_powerschool__cc') }} as cc
inner join {{ ref('stg_powerschool__sections') }} as sec
    on cc.abs_section_id = sec.section_id
inner join {{ ref('stg_powerschool__students') }} as s
    on cc.student_id = s.student_id
left join {{ ref('stg_powerschool__courses') }} as c
    on sec.course_number = c.course_number
left join {{ ref('stg_powerschool__schoolstaff') }} as ss
    on sec.teacher_schoolstaff_id = ss.schoolstaff_id
left join {{ ref('stg_powerschool__users') }} as u
    on ss.users_dcid = u.users_dcid
