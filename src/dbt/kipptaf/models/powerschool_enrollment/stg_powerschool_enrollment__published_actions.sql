-- One row per published Enrollment action (form). `academic_year` is the vendor's text
-- ("2027-2028"); `academic_year_start` is its first year, the fall year it enrolls for.
select
    id as action_id,
    title as action_name,
    academic_year,
    {{ dbt.safe_cast(dbt.split_part('academic_year', "'-'", 1), dbt.type_bigint()) }}
        as academic_year_start
from {{ source('kipptaf_powerschool_enrollment', 'published_actions') }}
