-- One row per student per section enrollment (CC), with the section's course and
-- lead teacher. PowerSchool ends an enrollment by making its section id negative, both
-- when the student drops the section and when the student's enrollment at the school
-- ends. An ended enrollment whose last day is the exit date of one of the student's
-- enrollments at that school is a departure (`is_left_school`): the student record's
-- exit, once the student has left (transferred out or graduated), or an earlier
-- enrollment of the year kept in `reenrollments` (the student withdrew and came back,
-- transferred to another school of the region, or changed grade). Any other is a drop.
with earlier_exits as (
    select distinct student_id, schoolid, exit_date
    from {{ ref('stg_powerschool__reenrollments') }}
)

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
    cc.is_ended and (
        coalesce(s.enroll_status in (2, 3) and cc.date_left = s.exit_date, false)
        or x.student_id is not null
    ) as is_left_school,
    cc.is_ended and not (
        coalesce(s.enroll_status in (2, 3) and cc.date_left = s.exit_date, false)
        or x.student_id is not null
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
left join earlier_exits as x
    on cc.student_id = x.student_id
    and sec.schoolid = x.schoolid
    and cc.date_left = x.exit_date
