-- Months chain and segments add up in cs_revenue_monthly:
--   - every month's starting MRR and accounts are the previous month's ending ones (0 in the
--     first month), per segment;
--   - the segments add up to `all` in every additive column.
-- Fails with each (check, month, segment) that breaks.
with

revenue as (

    select * from {{ ref('cs_revenue_monthly') }}

),

chained as (

    select
        month as revenue_month,  -- noqa: RF04
        segment,
        starting_mrr,
        starting_accounts,
        coalesce(lag(ending_mrr) over (partition by segment order by month), 0) as previous_ending_mrr,
        coalesce(lag(ending_accounts) over (partition by segment order by month), 0) as previous_ending_accounts
    from revenue

),

chain_breaks as (

    select
        'starting is not the previous ending' as check_name,
        revenue_month,
        segment
    from chained
    where
        starting_mrr <> previous_ending_mrr
        or starting_accounts <> previous_ending_accounts

),

segment_totals as (

    select
        month as revenue_month,  -- noqa: RF04
        sum(starting_mrr) as starting_mrr,
        sum(new_mrr) as new_mrr,
        sum(reactivation_mrr) as reactivation_mrr,
        sum(expansion_mrr) as expansion_mrr,
        sum(contraction_mrr) as contraction_mrr,
        sum(churned_mrr) as churned_mrr,
        sum(ending_mrr) as ending_mrr,
        sum(starting_accounts) as starting_accounts,
        sum(ending_accounts) as ending_accounts,
        sum(churned_accounts) as churned_accounts
    from revenue
    where segment <> 'all'
    group by 1

),

total_breaks as (

    select
        'segments do not add up to all' as check_name,
        revenue.month as revenue_month,
        revenue.segment
    from revenue
    left join segment_totals
        on revenue.month = segment_totals.revenue_month
    where
        revenue.segment = 'all'
        and (
            revenue.starting_mrr <> coalesce(segment_totals.starting_mrr, 0)
            or revenue.new_mrr <> coalesce(segment_totals.new_mrr, 0)
            or revenue.reactivation_mrr <> coalesce(segment_totals.reactivation_mrr, 0)
            or revenue.expansion_mrr <> coalesce(segment_totals.expansion_mrr, 0)
            or revenue.contraction_mrr <> coalesce(segment_totals.contraction_mrr, 0)
            or revenue.churned_mrr <> coalesce(segment_totals.churned_mrr, 0)
            or revenue.ending_mrr <> coalesce(segment_totals.ending_mrr, 0)
            or revenue.starting_accounts <> coalesce(segment_totals.starting_accounts, 0)
            or revenue.ending_accounts <> coalesce(segment_totals.ending_accounts, 0)
            or revenue.churned_accounts <> coalesce(segment_totals.churned_accounts, 0)
        )

)

select * from chain_breaks
union all
select * from total_breaks
