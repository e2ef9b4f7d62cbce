-- The account x month spine has no gaps: every account has one row per month from its first
-- subscription month to the last month of int_cs__months (the as-of month).
-- Fails with each account whose months are not exactly that run.
-- Reads several models: Dagster shows it as an asset check of int_cs__account_mrr_monthly.
{{ config(meta={'dagster': {'ref': {'name': 'int_cs__account_mrr_monthly'}}}) }}
with

account_months as (

    select * from {{ ref('int_cs__account_mrr_monthly') }}

),

months as (

    select * from {{ ref('int_cs__months') }}

),

last_month as (

    select max(month_start) as month_start
    from months

),

account_runs as (

    select
        account_id,
        min(month_start) as first_month,
        max(month_start) as last_month,
        count(*) as months,
        count(distinct month_start) as distinct_months
    from account_months
    group by 1

),

account_spans as (

    select
        account_runs.*,
        {{ dbt.datediff('first_month', 'last_month', 'month') }} + 1 as expected_months  -- noqa: LT05
    from account_runs

)

select
    account_spans.account_id,
    account_spans.first_month,
    account_spans.last_month,
    account_spans.months,
    account_spans.distinct_months,
    account_spans.expected_months
from account_spans
cross join last_month
where
    account_spans.last_month <> last_month.month_start
    or account_spans.months <> account_spans.distinct_months
    or account_spans.months <> account_spans.expected_months
