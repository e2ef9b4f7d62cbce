with

observations as (

    select * from {{ ref('int_health__backtest_observations') }}

),

bands as (

    select
        'green' as health_band,
        1 as band_order
    union all
    select
        'yellow' as health_band,
        2 as band_order
    union all
    select
        'red' as health_band,
        3 as band_order
    union all
    select
        'all' as health_band,
        4 as band_order

),

months as (

    select distinct month_start
    from observations

),

-- Each observation once in its own band and once in `all`.
banded as (

    select
        month_start,
        health_band,
        churned_90d
    from observations
    union all
    select
        month_start,
        'all' as health_band,
        churned_90d
    from observations

),

band_counts as (

    select
        month_start,
        health_band,
        count(*) as accounts,  -- noqa: RF04
        sum(case when churned_90d then 1 else 0 end) as churned_90d
    from banded
    group by 1, 2

),

-- ROC AUC of (100 - health_score) as a churn predictor, per month, by the rank-sum
-- (Mann-Whitney) formula: AUC = (sum of the churned accounts' ranks - P (P + 1) / 2) / (P N),
-- ranks ascending by predictor with tied values sharing their average rank, P churned and N
-- retained accounts. Equal to the share of (churned, retained) pairs in which the churned
-- account scored lower, ties counting one half.
ranked as (

    select
        month_start,
        churned_90d,
        rank() over (partition by month_start order by 100 - health_score)
        + (count(*) over (partition by month_start, health_score) - 1) / 2.0 as average_rank
    from observations

),

auc as (

    select
        month_start,
        case
            when
                sum(case when churned_90d then 1 else 0 end) > 0
                and sum(case when churned_90d then 0 else 1 end) > 0
                then {{ round_decimal(
                    '(sum(case when churned_90d then average_rank else 0 end)'
                    ~ ' - 1.0 * sum(case when churned_90d then 1 else 0 end)'
                    ~ ' * (sum(case when churned_90d then 1 else 0 end) + 1) / 2)'
                    ~ ' / (1.0 * sum(case when churned_90d then 1 else 0 end)'
                    ~ ' * sum(case when churned_90d then 0 else 1 end))',
                    4, 5
                ) }}
        end as auc
    from ranked
    group by 1

),

final as (

    select
        months.month_start,
        bands.health_band,
        bands.band_order,
        coalesce(band_counts.accounts, 0) as accounts,  -- noqa: RF04
        coalesce(band_counts.churned_90d, 0) as churned_90d,
        {{ cs_pct('band_counts.churned_90d', 'band_counts.accounts') }} as churn_rate_pct,
        case when bands.health_band = 'all' then auc.auc end as auc
    from months
    cross join bands
    left join band_counts
        on
            months.month_start = band_counts.month_start
            and bands.health_band = band_counts.health_band
    left join auc
        on months.month_start = auc.month_start

)

select
    cast(month_start as date) as month,  -- noqa: RF04
    cast(health_band as {{ dbt.type_string() }}) as health_band,
    cast(accounts as {{ dbt.type_int() }}) as accounts,  -- noqa: RF04
    cast(churned_90d as {{ dbt.type_int() }}) as churned_90d,
    churn_rate_pct,
    auc,
    cast(band_order as {{ dbt.type_int() }}) as band_order
from final
