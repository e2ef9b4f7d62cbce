{#-
    Support as a CX touchpoint, per month and dimension value (metrics: docs/metrics-support.md;
    rules: DECISIONLOG "Support metrics"). Each ticket counts in the month of each event:
    created (tickets_created), its LAST solve (tickets_solved, reopen rate, first-reply and
    full-resolution times: a ticket's whole timeline is known once solved) and its rating
    (CSAT good %). Hours are calendar hours.
-#}
{#- The times are measured over the month's solved tickets: the value of a solved event only. -#}
{%- set solved_first_reply = "case when event_kind = 'solved' then first_reply_hours end" -%}
{%- set solved_resolution = "case when event_kind = 'solved' then resolution_hours end" %}
with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

accounts as (

    select * from {{ ref('stg_billing__accounts') }}

),

dimensions as (

    select 'overall' as dimension
    union all
    select 'segment' as dimension
    union all
    select 'channel' as dimension
    union all
    select 'priority' as dimension

),

-- One row per ticket event: what the month of that event counts of the ticket.
ticket_events as (

    select
        ticket_id,
        'created' as event_kind,
        created_at as event_at
    from tickets
    union all
    select
        ticket_id,
        'solved' as event_kind,
        solved_at as event_at
    from tickets
    where is_solved and solved_at is not null
    union all
    select
        ticket_id,
        'rated' as event_kind,
        satisfaction_rated_at as event_at
    from tickets
    where satisfaction_rating in ('good', 'bad') and satisfaction_rated_at is not null

),

event_facts as (

    select
        cast({{ dbt.date_trunc('month', 'ticket_events.event_at') }} as date) as event_month,
        ticket_events.event_kind,
        tickets.ticket_id,
        tickets.channel,
        coalesce(tickets.priority, 'none') as priority,
        coalesce(accounts.segment, 'unknown') as segment,
        tickets.reopens,
        tickets.satisfaction_rating,
        tickets.first_reply_hours,
        tickets.resolution_hours
    from ticket_events
    inner join tickets on ticket_events.ticket_id = tickets.ticket_id
    left join accounts on tickets.account_id = accounts.account_id

),

event_dimensions as (

    select
        event_facts.*,
        dimensions.dimension,
        case dimensions.dimension
            when 'overall' then 'all'
            when 'segment' then event_facts.segment
            when 'channel' then event_facts.channel
            when 'priority' then event_facts.priority
        end as dimension_value
    from event_facts
    cross join dimensions

),

monthly as (

    select
        event_month,
        dimension,
        dimension_value,
        sum(case when event_kind = 'created' then 1 else 0 end) as tickets_created,
        sum(case when event_kind = 'solved' then 1 else 0 end) as tickets_solved,
        sum(case when event_kind = 'solved' and reopens > 0 then 1 else 0 end) as solved_reopened,
        sum(case when event_kind = 'rated' then 1 else 0 end) as ratings,
        sum(case when event_kind = 'rated' and satisfaction_rating = 'good' then 1 else 0 end) as ratings_good,
        {{ percentile_cont(solved_first_reply, 0.5) }} as first_reply_hours_median,
        {{ percentile_cont(solved_first_reply, 0.9) }} as first_reply_hours_p90,
        {{ percentile_cont(solved_resolution, 0.5) }} as resolution_hours_median,
        {{ percentile_cont(solved_resolution, 0.9) }} as resolution_hours_p90
    from event_dimensions
    group by 1, 2, 3

),

bounds as (

    select
        min(event_month) as first_month,
        max(event_month) as last_month
    from event_facts

),

months as (

    -- At most 1200 months (100 years) of support history.
    {{ cx_period_spine('month', 'bounds', 'first_month', 'last_month', 1200) }}

),

-- `overall` in every month from the first ticket event to the last; other values where they have events.
published_rows as (

    select
        period_start as event_month,
        'overall' as dimension,
        'all' as dimension_value
    from months
    union
    select
        event_month,
        dimension,
        dimension_value
    from monthly

),

final as (

    select
        published_rows.event_month,
        published_rows.dimension,
        published_rows.dimension_value,
        {{ cx_count('monthly.tickets_created') }} as tickets_created,
        {{ cx_count('monthly.tickets_solved') }} as tickets_solved,
        {{ cx_count('monthly.solved_reopened') }} as solved_reopened,
        {{ cx_pct('monthly.solved_reopened', 'monthly.tickets_solved') }} as reopen_rate_pct,
        {{ cx_count('monthly.ratings') }} as ratings,
        {{ cx_count('monthly.ratings_good') }} as ratings_good,
        {{ cx_pct('monthly.ratings_good', 'monthly.ratings') }} as csat_good_pct,
        {{ round_decimal('monthly.first_reply_hours_median', 2, 12) }} as first_reply_hours_median,
        {{ round_decimal('monthly.first_reply_hours_p90', 2, 12) }} as first_reply_hours_p90,
        {{ round_decimal('monthly.resolution_hours_median', 2, 12) }} as resolution_hours_median,
        {{ round_decimal('monthly.resolution_hours_p90', 2, 12) }} as resolution_hours_p90
    from published_rows
    left join monthly
        on
            published_rows.event_month = monthly.event_month
            and published_rows.dimension = monthly.dimension
            and published_rows.dimension_value = monthly.dimension_value

)

select
    -- `month` is a keyword in some dialects; the column name is fixed like the other CX marts.
    event_month as month,  -- noqa: RF04
    dimension,
    dimension_value,
    tickets_created,
    tickets_solved,
    solved_reopened,
    reopen_rate_pct,
    ratings,
    ratings_good,
    csat_good_pct,
    first_reply_hours_median,
    first_reply_hours_p90,
    resolution_hours_median,
    resolution_hours_p90
from final
