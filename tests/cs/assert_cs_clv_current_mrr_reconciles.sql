-- The accounts' current MRR in cs_clv adds up to the total ending MRR of the as-of month in
-- cs_revenue_monthly, per segment and in total. Fails with each segment that differs.
-- Reads several models: Dagster shows it as an asset check of cs_clv.
{{ config(meta={'dagster': {'ref': {'name': 'cs_clv'}}}) }}
with

clv as (

    select * from {{ ref('cs_clv') }}

),

revenue as (

    select * from {{ ref('cs_revenue_monthly') }}

),

latest_revenue as (

    select
        revenue.segment,
        revenue.ending_mrr
    from revenue
    where revenue.month = (select max(latest.month) as latest_month from revenue as latest)

),

clv_totals as (

    select
        segment,
        sum(current_mrr) as current_mrr
    from clv
    group by 1
    union all
    select
        'all' as segment,
        sum(current_mrr) as current_mrr
    from clv

)

select
    clv_totals.segment,
    clv_totals.current_mrr,
    latest_revenue.ending_mrr
from clv_totals
left join latest_revenue
    on clv_totals.segment = latest_revenue.segment
where clv_totals.current_mrr <> coalesce(latest_revenue.ending_mrr, 0)
