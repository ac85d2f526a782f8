-- One row per DeansList incident in the network, with its school year and how
-- long a resolved incident stayed open. Incidents deleted in DeansList are left out.
select
    i.code_location || '-' || cast(i.incident_id as {{ dbt.type_string() }}) as incident_key,
    i.code_location,
    i.incident_id,
    i.code_location || '-' || i.student_school_id as student_key,
    i.student_number,
    i.school_number,
    sch.school_name,
    i.incident_date,
    {{ fall_year('i.incident_date') }} as academic_year,
    i.category,
    i.infraction,
    i.status,
    i.is_resolved,
    i.location,
    i.created_at,
    i.updated_at,
    -- whole days (24 hours each) from entry to closing: the times are UTC, so counting
    -- midnights between them would add a day to an incident closed in the evening
    case
        when i.is_resolved
            then cast(
                floor({{ dbt.datediff('i.created_at', 'i.closed_at', 'second') }} / 86400)
                as {{ dbt.type_bigint() }}
            )
    end as days_to_resolve
from {{ ref('int_deanslist__incidents') }} as i
left join {{ ref('dim_schools') }} as sch
    on i.code_location = sch.code_location
    and i.school_number = sch.school_number
where not i.is_deleted
