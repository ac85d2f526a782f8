-- Every grade a student has: grades PowerSchool stored (`storedgrades`, grade_type
-- 'final': each quarter's, Q1..Q4, and the course's final, Y1) and this term's
-- gradebook grades still in progress (`pgfinalgrades`, 'in_progress') of enrollments
-- PowerSchool has not ended. Only Y1 grades carry GPA points (`counts_toward_gpa`); an
-- in-progress letter gets the points of the standard scale for display. A region whose
-- PowerSchool reaches us without the gradebook (var `powerschool_gradebook` false: the
-- SFTP export has no pgfinalgrades) has final grades only.
with stored as (
    select
        'final' as grade_type,
        g.storedgrade_dcid as grade_dcid,
        g.student_id,
        g.schoolid as school_number,
        g.academic_year,
        g.term_id,
        g.store_code as term,
        g.grade_level,
        g.course_number,
        g.course_name,
        -- the section the grade was stored from; 0 (none) on a grade from history
        nullif(g.section_id, 0) as section_id,
        g.grade,
        g.percent,
        g.gpa_points,
        g.earned_credit_hours,
        g.date_stored as grade_date,
        g.store_code = 'Y1' and not g.is_excluded_from_gpa as counts_toward_gpa
    from {{ ref('stg_powerschool__storedgrades') }} as g
),
{% if var('powerschool_gradebook', true) %}

in_progress as (
    select
        'in_progress' as grade_type,
        pg.pgfinalgrade_dcid as grade_dcid,
        pg.student_id,
        sec.schoolid as school_number,
        cast(floor(sec.term_id / 100) as {{ dbt.type_bigint() }}) + 1990 as academic_year,
        sec.term_id,
        pg.final_grade_name as term,
        cast(null as {{ dbt.type_bigint() }}) as grade_level,
        sec.course_number,
        c.course_name,
        pg.section_id,
        pg.grade,
        pg.percent,
        -- the standard 4-point scale on the letter (A+ and A- count as A)
        cast(
            case substr(pg.grade, 1, 1)
                when 'A' then 4.0
                when 'B' then 3.0
                when 'C' then 2.0
                when 'D' then 1.0
                when 'F' then 0.0
            end as {{ powerschool.type_double() }}
        ) as gpa_points,
        cast(null as {{ powerschool.type_double() }}) as earned_credit_hours,
        pg.last_grade_update_date as grade_date,
        false as counts_toward_gpa
    from {{ ref('stg_powerschool__pgfinalgrades') }} as pg
    inner join {{ ref('stg_powerschool__sections') }} as sec
        on pg.section_id = sec.section_id
    -- only grades of enrollments PowerSchool has not ended (a dropped section, or a
    -- student who left, keeps its old gradebook rows)
    inner join {{ ref('stg_powerschool__cc') }} as cc
        on pg.student_id = cc.student_id
        and pg.section_id = cc.section_id
    left join {{ ref('stg_powerschool__courses') }} as c
        on sec.course_number = c.course_number
    where pg.grade is not null
),
{% endif %}

grades as (
    select * from stored
{%- if var('powerschool_gradebook', true) %}
    union all
    select * from in_progress
{%- endif %}
)

select
    g.grade_type,
    g.grade_dcid,
    g.student_id,
    s.student_number,
    g.school_number,
    g.academic_year,
    g.term_id,
    g.term,
    coalesce(g.grade_level, s.grade_level) as grade_level,
    g.course_number,
    g.course_name,
    g.section_id,
    g.grade,
    g.percent,
    g.gpa_points,
    g.earned_credit_hours,
    g.grade_date,
    g.counts_toward_gpa
from grades as g
inner join {{ ref('stg_powerschool__students') }} as s
    on g.student_id = s.student_id
