-- One row per student per day of enrollment: every in-session day of the student's
-- school from entry (inclusive) to exit (exclusive) on which the student is on track,
-- through the last day attendance was taken (macros/attendance_through_date.sql), with
-- PowerSchool's ADA/ADM values for the day:
--   membership_value  the smaller of the student's membership share and the calendar
--                     day's membership value; 0 when the day's code does not count for
--                     membership (calculate_adm_yn 0)
--   attendance_value  the day's code converted for the student's FTE (no record: the
--                     year's Present code); 0 when the code does not count for ADA
--                     (calculate_ada_yn 0)
with calendar as (
    select
        c.schoolid,
        c.calendar_date,
        c.membership_value,
        c.track_a,
        c.track_b,
        c.track_c,
        c.track_d,
        c.track_e,
        c.track_f,
        t.year_id,
        b.attendance_conversion_id
    from {{ ref('stg_powerschool__calendar_day') }} as c
    inner join {{ ref('stg_powerschool__terms') }} as t
        on c.schoolid = t.schoolid
        and t.is_year_term
        and c.calendar_date between t.first_day and t.last_day
    left join {{ ref('stg_powerschool__bell_schedule') }} as b
        on c.bell_schedule_id = b.bell_schedule_id
    where
        c.is_in_session
        and c.calendar_date <= {{ powerschool.attendance_through_date() }}
),

enrolled_days as (
    select
        e.student_id,
        e.student_number,
        e.school_number,
        e.grade_level,
        e.fte_id,
        e.membership_share,
        c.calendar_date,
        c.year_id,
        c.membership_value as calendar_membership_value,
        c.attendance_conversion_id
    from {{ ref('int_powerschool__student_enrollments') }} as e
    inner join calendar as c
        on e.school_number = c.schoolid
        and c.calendar_date >= e.entry_date
        and c.calendar_date < e.exit_date
    where
        -- a year-round calendar's day off for the student's track is no school day
        case e.track
            when 'A' then c.track_a
            when 'B' then c.track_b
            when 'C' then c.track_c
            when 'D' then c.track_d
            when 'E' then c.track_e
            when 'F' then c.track_f
            else 1
        end = 1
    -- PowerSchool keeps a student's enrollments from overlapping; if two ever do,
    -- the later entry wins rather than counting the day twice
    qualify row_number() over (
        partition by e.student_id, c.calendar_date order by e.entry_date desc
    ) = 1
),

daily_records as (
    select
        student_id,
        attendance_date,
        attendance_code_id
    from {{ ref('stg_powerschool__attendance') }}
    where attendance_mode_code = 'ATT_ModeDaily'
    -- one daily record per student and day; the latest change wins
    qualify row_number() over (
        partition by student_id, attendance_date
        order by transaction_date desc nulls last, attendance_dcid desc
    ) = 1
),

present_codes as (
    -- the code a day with no record counts as: the school year's Present code
    select schoolid, year_id, attendance_code_id
    from {{ ref('stg_powerschool__attendance_code') }}
    where description = 'Present'
),

days as (
    select
        d.*,
        r.attendance_code_id as recorded_code_id,
        coalesce(r.attendance_code_id, p.attendance_code_id) as day_code_id
    from enrolled_days as d
    left join daily_records as r
        on d.student_id = r.student_id
        and d.calendar_date = r.attendance_date
    left join present_codes as p
        on d.school_number = p.schoolid
        and d.year_id = p.year_id
)

select
    d.student_id,
    d.student_number,
    d.school_number,
    d.grade_level,
    d.calendar_date,
    {{ powerschool.fall_year('d.calendar_date') }} as academic_year,
    case
        when not ac.counts_for_adm then cast(0 as {{ powerschool.type_double() }})
        when d.membership_share < d.calendar_membership_value then d.membership_share
        else d.calendar_membership_value
    end as membership_value,
    case
        when not ac.counts_for_ada then cast(0 as {{ powerschool.type_double() }})
        else ci.attendance_value
    end as attendance_value,
    d.recorded_code_id as attendance_code_id,
    rc.attendance_code,
    rc.description as attendance_code_description,
    rc.presence_status,
    coalesce(ac.presence_status, 'Present') <> 'Absent' as is_present,
    coalesce(ac.presence_status = 'Absent', false) as is_absent,
    -- tardy codes are present codes starting with T (T, TE, T10, ...)
    coalesce(rc.presence_status <> 'Absent' and rc.attendance_code like 'T%', false) as is_tardy
from days as d
left join {{ ref('stg_powerschool__attendance_code') }} as ac
    on d.day_code_id = ac.attendance_code_id
left join {{ ref('stg_powerschool__attendance_code') }} as rc
    on d.recorded_code_id = rc.attendance_code_id
left join {{ ref('stg_powerschool__attendance_conversion_items') }} as ci
    on d.fte_id = ci.fte_id
    and d.attendance_conversion_id = ci.attendance_conversion_id
    and d.day_code_id = ci.attendance_code_id
    and ci.conversion_mode_code = 'codeday'
