-- Payroll cost per pay date, ADP location, school and GL account: the general ledger
-- summed by site (`cost_center`, ADP's LOCATION_ID) and the PowerSchool school
-- kipptaf's ADP crosswalk gives it (one campus location holds two schools; offices
-- have none). In the adp_payroll asset group; nothing else reads it.
-- Dagster runs that group once per pay date (var `pay_date`): each run replaces just
-- that pay date's rows; without the var (a plain `dbt build`) the whole table rebuilds.
{{
    config(
        materialized="incremental",
        unique_key=["pay_date"],
        incremental_strategy=(
            "insert_overwrite" if target.type == "bigquery" else "delete+insert"
        ),
        partition_by=(
            {"field": "pay_date", "data_type": "date", "granularity": "day"}
            if target.type == "bigquery"
            else none
        ),
    )
}}
select
    gl.pay_date,
    gl.code_location,
    gl.location_id as cost_center,
    gl.school_number,
    sch.school_name,
    gl.gl_account,
    gl.gl_description,
    count(*) as lines,
    count(distinct gl.position_id) as positions,
    sum(gl.debit) as debit,
    sum(gl.credit) as credit,
    sum(gl.amount) as amount
from {{ ref('stg_adp_payroll__general_ledger') }} as gl
left join {{ ref('dim_schools') }} as sch
    on gl.school_number = sch.school_number
{% if is_incremental() and var('pay_date', none) %}
where gl.pay_date = cast('{{ var("pay_date") }}' as date)
{% endif %}
group by
    gl.pay_date,
    gl.code_location,
    gl.location_id,
    gl.school_number,
    sch.school_name,
    gl.gl_account,
    gl.gl_description
