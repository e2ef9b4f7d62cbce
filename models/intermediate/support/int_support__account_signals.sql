{#-
    Support signals per account on the as-of date (customer_360): open urgent tickets now, bad
    ratings and tickets created in the trailing 30 days. A trailing window of N days ends on the
    as-of date D and holds its days D-(N-1) .. D, as the CX windows do
    (int_cx__account_sentiment_daily: a response counts on its day and the 89 after it).
-#}
with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

dated as (

    select
        account_id,
        priority,
        status,
        satisfaction_rating,
        cast(created_at as date) as created_date,
        cast(satisfaction_rated_at as date) as rated_date
    from tickets

),

window_start as (

    select cast({{ dbt.dateadd('day', -29, as_of_date()) }} as date) as first_day

),

signals as (

    select
        dated.account_id,
        -- open = not solved or closed in the state as of D (new, open, pending, hold)
        sum(
            case when dated.priority = 'urgent' and dated.status not in ('solved', 'closed') then 1 else 0 end
        ) as open_urgent_tickets,
        sum(
            case
                when dated.satisfaction_rating = 'bad' and dated.rated_date >= window_start.first_day then 1
                else 0
            end
        ) as bad_ratings_30d,
        sum(case when dated.created_date >= window_start.first_day then 1 else 0 end) as tickets_30d
    from dated
    cross join window_start
    group by 1

)

select
    account_id,
    cast(open_urgent_tickets as {{ dbt.type_int() }}) as open_urgent_tickets,
    cast(bad_ratings_30d as {{ dbt.type_int() }}) as bad_ratings_30d,
    cast(tickets_30d as {{ dbt.type_int() }}) as tickets_30d
from signals
