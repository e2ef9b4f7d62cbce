with

accounts as (

    select * from {{ ref('dim_accounts') }}

),

clv as (

    select * from {{ ref('cs_clv') }}

),

sentiment as (

    select * from {{ ref('int_cx__account_sentiment_daily') }}

),

health as (

    select * from {{ ref('cs_account_health_daily') }}

),

usage as (

    select * from {{ ref('product_usage_daily') }}

),

onboarding as (

    select * from {{ ref('cs_onboarding') }}

),

alerts as (

    select * from {{ ref('cs_playbook_alerts') }}

),

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

support as (

    select * from {{ ref('int_support__account_signals') }}

),

latest_sentiment as (

    select
        account_id,
        nps_90d,
        latest_nps_class,
        csat_180d_pct,
        ces_180d_mean
    from sentiment
    where is_latest

),

current_health as (

    select
        account_id,
        health_score,
        health_band,
        usage_score,
        adoption_score,
        sentiment_score,
        billing_score,
        lifecycle_score
    from health
    where date = {{ as_of_date() }}

),

current_usage as (

    select
        account_id,
        mau,
        seat_utilisation_pct,
        feature_breadth_pct
    from usage
    where date = {{ as_of_date() }}

),

-- The next term end of the paid subscriptions in force on the as-of date.
next_renewals as (

    select
        versions.account_id,
        min(versions.contract_end) as next_renewal_date
    from versions
    where
        not versions.is_trial
        and {{ cs_is_in_force('versions', as_of_date()) }}
        and versions.contract_end >= {{ as_of_date() }}
    group by 1

),

-- Alerts still in their 30-day cool-down on the as-of date.
open_alerts as (

    select
        account_id,
        count(*) as open_alerts
    from alerts
    where
        trigger_date <= {{ as_of_date() }}
        and cool_down_until >= {{ as_of_date() }}
    group by 1

),

final as (

    select
        accounts.account_id,
        accounts.account_name,
        accounts.segment,
        accounts.region,
        accounts.industry,
        coalesce(clv.current_mrr, 0) as current_mrr,
        12 * coalesce(clv.current_mrr, 0) as current_arr,
        coalesce(clv.lifetime_revenue, 0) as lifetime_revenue,
        latest_sentiment.nps_90d,
        latest_sentiment.latest_nps_class,
        latest_sentiment.csat_180d_pct,
        latest_sentiment.ces_180d_mean,
        current_health.health_score,
        current_health.health_band,
        current_health.usage_score,
        current_health.adoption_score,
        current_health.sentiment_score,
        current_health.billing_score,
        current_health.lifecycle_score,
        current_usage.mau,
        current_usage.seat_utilisation_pct,
        current_usage.feature_breadth_pct,
        onboarding.onboarding_complete,
        onboarding.time_to_value_days,
        next_renewals.next_renewal_date,
        coalesce(open_alerts.open_alerts, 0) as open_alerts,
        -- an account without tickets has no support signal: 0, not unknown
        coalesce(support.open_urgent_tickets, 0) as open_urgent_tickets,
        coalesce(support.bad_ratings_30d, 0) as bad_support_ratings_30d,
        coalesce(support.tickets_30d, 0) as support_tickets_30d,
        {{ as_of_date() }} as as_of_date
    from accounts
    left join clv
        on accounts.account_id = clv.account_id
    left join latest_sentiment
        on accounts.account_id = latest_sentiment.account_id
    left join current_health
        on accounts.account_id = current_health.account_id
    left join current_usage
        on accounts.account_id = current_usage.account_id
    left join onboarding
        on accounts.account_id = onboarding.account_id
    left join next_renewals
        on accounts.account_id = next_renewals.account_id
    left join open_alerts
        on accounts.account_id = open_alerts.account_id
    left join support
        on accounts.account_id = support.account_id

)

select
    account_id,
    account_name,
    segment,
    region,
    industry,
    cast(current_mrr as {{ cs_money_type() }}) as current_mrr,
    cast(current_arr as {{ cs_money_type() }}) as current_arr,
    cast(lifetime_revenue as {{ cs_money_type() }}) as lifetime_revenue,
    nps_90d,
    latest_nps_class,
    csat_180d_pct,
    ces_180d_mean,
    health_score,
    health_band,
    usage_score,
    adoption_score,
    sentiment_score,
    billing_score,
    lifecycle_score,
    cast(mau as {{ dbt.type_int() }}) as mau,
    seat_utilisation_pct,
    feature_breadth_pct,
    onboarding_complete,
    time_to_value_days,
    cast(next_renewal_date as date) as next_renewal_date,
    cast(open_alerts as {{ dbt.type_int() }}) as open_alerts,
    cast(open_urgent_tickets as {{ dbt.type_int() }}) as open_urgent_tickets,
    cast(bad_support_ratings_30d as {{ dbt.type_int() }}) as bad_support_ratings_30d,
    cast(support_tickets_30d as {{ dbt.type_int() }}) as support_tickets_30d,
    cast(as_of_date as date) as as_of_date
from final
