with

revenue as (

    select * from {{ ref('cs_revenue_monthly') }}

),

-- The trailing 12 COMPLETE months: the last month that has ended by the as-of date and the 11
-- before it (fewer while the history is shorter). The as-of month itself counts only when the
-- as-of date is its last day: a partial month adds a whole month of starting accounts but only
-- a few days of churn, which would understate the churn rate and overstate CLV.
window_bounds as (

    select
        cast({{ dbt.dateadd(
            'month', -12, dbt.date_trunc('month', dbt.dateadd('day', 1, as_of_date()))
        ) }} as date) as window_start_month,
        cast({{ dbt.dateadd(
            'month', -1, dbt.date_trunc('month', dbt.dateadd('day', 1, as_of_date()))
        ) }} as date) as window_end_month

),

trailing_totals as (

    select
        revenue.segment,
        window_bounds.window_start_month,
        window_bounds.window_end_month,
        sum(revenue.ending_mrr) as ending_mrr_sum,
        sum(revenue.ending_accounts) as paying_account_months,
        sum(revenue.starting_accounts) as starting_accounts,
        sum(revenue.churned_accounts) as churned_accounts
    from revenue
    inner join window_bounds
        on
            revenue.month >= window_bounds.window_start_month
            and revenue.month <= window_bounds.window_end_month
    group by 1, 2, 3

),

-- ARPA = ending MRR summed over the 12 month ends / paying account-months (accounts with
-- MRR > 0 at each month end); monthly logo churn rate = churned logos / starting logos, both
-- summed over the 12 months. CLV = ARPA * gross_margin / churn rate
-- = ending_mrr_sum * gross_margin * starting_accounts / (paying_account_months * churned_accounts),
-- computed from the exact sums in one division; null when no logo churned.
final as (

    select
        segment,
        window_start_month,
        window_end_month,
        cast(paying_account_months as {{ dbt.type_bigint() }}) as paying_account_months,
        cast(starting_accounts as {{ dbt.type_bigint() }}) as starting_accounts,
        cast(churned_accounts as {{ dbt.type_bigint() }}) as churned_accounts,
        cast(case
            when paying_account_months > 0
                then {{ round_decimal('ending_mrr_sum / paying_account_months', 2, 38) }}
        end as decimal(38, 2)) as arpa,
        {{ cs_pct('churned_accounts', 'starting_accounts') }} as monthly_logo_churn_pct,
        cast({{ var('gross_margin', 0.8) }} as decimal(9, 4)) as gross_margin,
        cast(case
            when churned_accounts > 0 and paying_account_months > 0
                then {{ round_decimal(
                    'ending_mrr_sum * cast(' ~ var('gross_margin', 0.8) ~ ' as decimal(9, 4)) * starting_accounts'
                    ~ ' / (paying_account_months * churned_accounts)',
                    2, 38
                ) }}
        end as decimal(38, 2)) as predicted_clv
    from trailing_totals

)

select
    segment,
    arpa,
    monthly_logo_churn_pct,
    gross_margin,
    predicted_clv,
    window_start_month,
    window_end_month,
    paying_account_months,
    starting_accounts,
    churned_accounts
from final
