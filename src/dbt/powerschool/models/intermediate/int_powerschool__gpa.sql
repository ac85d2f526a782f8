-- Per student and school year: the GPA PowerSchool's simple method gives, the mean of
-- the GPA points of the student's final (Y1) stored grades, leaving out courses marked
-- excluded from GPA. Quarter grades carry no points and never count.
select
    student_id,
    student_number,
    academic_year,
    avg(gpa_points) as gpa,
    cast(count(*) as {{ dbt.type_bigint() }}) as courses,
    sum(earned_credit_hours) as earned_credit_hours
from {{ ref('int_powerschool__grades') }}
where counts_toward_gpa
group by student_id, student_number, academic_year
