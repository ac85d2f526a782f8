-- One row per student per membership day: every in-session day of the student's
-- school from entry (inclusive) to exit (exclusive), through the last day attendance
-- was taken (macros/attendance_through_date.sql), with the day's daily attendance
-- record if there is one. No record means present.
with membership as (
    select
        e.student_id,
        e.student_number,
        e.school_number,
        e.grade_level,
        c.calendar_date,
        c.membership_value
    from {{ ref('int_powerschool__student_enrollments') }} as e
    inner join {{ ref('stg_powerschool__calendar_day') }} as c
        on e.school_number = c.schoolid
        and c.calendar_date >= e.entry_date
        and c.calendar_date < e.exit_date
    where
        c.is_in_session
        and c.calendar_date <= {{ powerschool.attendance_through_date() }}
    -- PowerSchool keeps a student's enrollments from overlapping; if two ever do,
    -- the later entry wins rather than counting the day twice
    qualify row_number() over (
        partition by e.student_id, c.calendar_date order by e.entry_date desc
    ) = 1
),

daily_records as (
    select
        a.student_id,
        a.attendance_date,
        a.attendance_code_id,
        ac.attendance_code,
        ac.description as attendance_code_description,
        ac.presence_status
    from {{ ref('stg_powerschool__attendance') }} as a
    inner join {{ ref('stg_powerschool__attendance_code') }} as ac
        on a.attendance_code_id = ac.attendance_code_id
    where a.attendance_mode_code = 'ATT_ModeDaily'
    -- one daily record per student and day; the latest edit wins
    qualify row_number() over (
        partition by a.student_id, a.attendance_date
        order by a.when_modified desc, a.attendance_dcid desc
    ) = 1
)

select
    m.student_id,
    m.student_number,
    m.school_number,
    m.grade_level,
    m.calendar_date,
    {{ powerschool.fall_year('m.calendar_date') }} as academic_year,
    m.membership_value,
    r.attendance_code_id,
    r.attendance_code,
    r.attendance_code_description,
    r.presence_status,
    coalesce(r.presence_status, 'Present') <> 'Absent' as is_present,
    coalesce(r.presence_status = 'Absent', false) as is_absent,
    -- tardy codes are present codes starting with T (T, TE, T10, ...)
    coalesce(r.presence_status <> 'Absent' and r.attendance_code like 'T%', false) as is_tardy
from membership as m
left join daily_records as r
    on m.student_id = r.student_id
    and m.calendar_date = r.attendance_date
