{{ config(tags=['google_sheet']) }}
-- Each school's network goals (Google Sheet) beside this year's actuals and its
-- leader. Tagged google_sheet: it reads the sheets, so no core model may read it.
with attendance as (
    select
        code_location,
        school_number,
        academic_year,
        ada,
        chronic_absence_rate
    from {{ ref('fct_school_attendance') }}
),

latest_year as (
    select code_location, max(academic_year) as academic_year
    from attendance
    group by code_location
),

iready as (
    select
        code_location,
        school_number,
        academic_year,
        avg(case when is_on_grade_level then 1.0 else 0.0 end) as on_grade_level_rate
    from {{ ref('fct_iready_diagnostics') }}
    where is_most_recent
    group by code_location, school_number, academic_year
),

actuals as (
    select
        a.code_location,
        a.school_number,
        a.academic_year,
        a.ada,
        a.chronic_absence_rate,
        i.on_grade_level_rate
    from attendance as a
    inner join latest_year as y
        on a.code_location = y.code_location
        and a.academic_year = y.academic_year
    left join iready as i
        on a.code_location = i.code_location
        and a.school_number = i.school_number
        and a.academic_year = i.academic_year
),

goals as (
    select
        g.code_location,
        g.school_number,
        g.metric,
        g.goal,
        a.academic_year,
        cast(
            case g.metric
                when 'ada' then a.ada
                when 'chronic_absence' then a.chronic_absence_rate
                when 'iready_on_grade_level' then a.on_grade_level_rate
            end as {{ type_double() }}
        ) as actual
    from {{ ref('stg_google_sheets__network_goals') }} as g
    left join actuals as a
        on g.code_location = a.code_location
        and g.school_number = a.school_number
)

select
    g.code_location,
    g.school_number,
    sch.school_name,
    l.school_leader,
    l.leader_email,
    g.academic_year,
    g.metric,
    g.goal,
    g.actual,
    case
        when g.actual is null then null
        -- chronic absence is a rate to stay under; the others are floors
        when g.metric = 'chronic_absence' then g.actual <= g.goal
        else g.actual >= g.goal
    end as is_met
from goals as g
left join {{ ref('dim_schools') }} as sch
    on g.code_location = sch.code_location
    and g.school_number = sch.school_number
left join {{ ref('stg_google_sheets__school_leaders') }} as l
    on g.code_location = l.code_location
    and g.school_number = l.school_number
