-- Support tickets in the semantic layer (metrics support_csat_good_pct and
-- support_first_reply_hours_median). Grain: one row per ticket of stg_support__tickets, without
-- its personal data (no email, no comment): the dates each metric counts a ticket on and the
-- flags and hours cx_support_monthly aggregates, so grouped by month they give its numbers.
with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

final as (

    select
        ticket_id,
        account_id,
        channel,
        cast(created_at as date) as created_date,
        coalesce(priority, 'none') as priority,
        -- the month of the LAST solve, only for a ticket solved at present (as in the mart)
        case when is_solved then cast(solved_at as date) end as solved_date,
        case when satisfaction_rating in ('good', 'bad') then cast(satisfaction_rated_at as date) end as rated_date,
        case when satisfaction_rating = 'good' then 1 else 0 end as is_rated_good,
        case when satisfaction_rating in ('good', 'bad') then 1 else 0 end as is_rated,
        -- numeric, not double: a double has no one name on DuckDB, PostgreSQL and Spark for the
        -- enforced contract (28, 6 keeps the hours far finer than the mart's 2 decimals)
        cast(case when is_solved then first_reply_hours end as {{ dbt.type_numeric() }}) as solved_first_reply_hours,
        cast(case when is_solved then resolution_hours end as {{ dbt.type_numeric() }}) as solved_resolution_hours
    from tickets

)

select
    ticket_id,
    account_id,
    channel,
    priority,
    created_date,
    solved_date,
    rated_date,
    is_rated_good,
    is_rated,
    solved_first_reply_hours,
    solved_resolution_hours
from final
