-- Each account's movements chain month to month (metrics.md: previous = 0 before the first
-- month) in fct_mrr_movements:
--   - its first row is `new` and starts at 0;
--   - a row of the next calendar month starts at the previous row's ending MRR;
--   - a gap of more than one month only follows a churn (ending 0) and ends in a
--     reactivation (starting 0): the skipped months had MRR 0 at both ends.
-- Fails with each row that breaks the chain.
with

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

with_previous as (

    select
        account_id,
        month as movement_month,  -- noqa: RF04
        movement_type,
        starting_mrr,
        ending_mrr,
        lag(month) over (partition by account_id order by month) as previous_month,
        lag(ending_mrr) over (partition by account_id order by month) as previous_ending_mrr
    from movements

),

with_gaps as (

    select
        with_previous.*,
        {{ dbt.datediff('previous_month', 'movement_month', 'month') }} as months_since_previous  -- noqa: LT05
    from with_previous

),

breaks as (

    select
        account_id,
        movement_month,
        movement_type,
        starting_mrr,
        previous_month,
        previous_ending_mrr,
        months_since_previous
    from with_gaps
    where
        (previous_month is null and (movement_type <> 'new' or starting_mrr <> 0))
        or (months_since_previous = 1 and starting_mrr <> previous_ending_mrr)
        or (
            months_since_previous > 1
            and (previous_ending_mrr <> 0 or movement_type <> 'reactivation')
        )

)

select * from breaks
