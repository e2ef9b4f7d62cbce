{#-
    The churn model's rows: every account-day an account pays, up to the as-of date, with the
    features known that day and, once its window has ended by the as-of date, the backtest's
    90-day logo-churn label (macros/health/churn_label.sql, the definition the health
    backtest uses). Every day trains; the month starts are the evaluation rows (as in the
    health backtest) and the as-of date's rows are scored now. A table, not ephemeral like
    the health marts' steps: the dbt Python models read it, and they cannot read an
    ephemeral model; in schema marts, as every table of this folder (the graph's layers).
-#}

{#- The feature set: orchestration/churn/model.py FEATURES reads the same columns. -#}
{%- set feature_columns = [
    'health_score', 'usage_score', 'adoption_score', 'sentiment_score', 'billing_score',
    'lifecycle_score', 'health_score_change_30d', 'usage_score_change_30d', 'activity_trend_log',
    'seat_utilisation_pct', 'stickiness', 'feature_breadth_pct', 'seats_log', 'seat_change_90d_log',
    'onboarding_progress_pct', 'tenure_years', 'is_nps_detractor', 'is_nps_promoter', 'has_sentiment',
    'csat_180d_pct', 'ces_180d_mean', 'max_days_past_due',
] %}

with

health as (

    select * from {{ ref('cs_account_health_daily') }}

),

account_days as (

    select * from {{ ref('int_health__account_days') }}

),

paying_spells as (

    select * from {{ ref('int_health__paying_spells') }}

),

observation_days as (

    select
        account_days.account_id,
        account_days.date_day as observed_on,
        {{ dbt.date_trunc('month', 'account_days.date_day') }} = account_days.date_day as is_month_start,
        case
            when {{ churn_window_ended('account_days.date_day') }}
                then {{ churned_within_90d('account_days.date_day', 'paying_spells.paying_until') }}
        end as churned_90d
    from account_days
    inner join paying_spells
        on
            account_days.account_id = paying_spells.account_id
            and account_days.date_day >= paying_spells.paying_from
            and account_days.date_day < paying_spells.paying_until
    where account_days.is_paying

),

final as (

    select
        observation_days.account_id,
        observation_days.observed_on,
        observation_days.is_month_start,
        observation_days.churned_90d,
        health.health_score,
        health.usage_score,
        health.adoption_score,
        health.sentiment_score,
        health.billing_score,
        health.lifecycle_score,
        health.seat_utilisation_pct,
        health.stickiness,
        health.feature_breadth_pct,
        health.onboarding_progress_pct,
        health.csat_180d_pct,
        health.ces_180d_mean,
        health.max_days_past_due,
        -- Trends: the change since 30 days earlier (null when the account was not scored then).
        health.health_score - health_30d.health_score as health_score_change_30d,
        health.usage_score - health_30d.usage_score as usage_score_change_30d,
        -- Activity this 30 days against the 30 before, on a log scale (+1: quiet accounts).
        ln((health.active_user_days_30d + 1.0) / (health.active_user_days_prev_30d + 1.0)) as activity_trend_log,
        ln(1.0 + days_now.licensed_seats) as seats_log,
        ln((1.0 + days_now.licensed_seats) / (1.0 + days_90d.licensed_seats)) as seat_change_90d_log,
        health.tenure_days / 365.0 as tenure_years,
        case when health.latest_nps_class_180d = 'detractor' then 1.0 else 0.0 end as is_nps_detractor,
        case when health.latest_nps_class_180d = 'promoter' then 1.0 else 0.0 end as is_nps_promoter,
        case when health.sentiment_score is not null then 1.0 else 0.0 end as has_sentiment
    from observation_days
    inner join health
        on
            observation_days.account_id = health.account_id
            and observation_days.observed_on = health.date
    inner join account_days as days_now
        on
            observation_days.account_id = days_now.account_id
            and observation_days.observed_on = days_now.date_day
    left join health as health_30d
        on
            observation_days.account_id = health_30d.account_id
            and cast({{ dbt.dateadd('day', -30, 'observation_days.observed_on') }} as date) = health_30d.date
    left join account_days as days_90d
        on
            observation_days.account_id = days_90d.account_id
            and cast({{ dbt.dateadd('day', -90, 'observation_days.observed_on') }} as date) = days_90d.date_day

)

select
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(observed_on as date) as observed_on,
    {%- for column in feature_columns %}
        cast({{ column }} as {{ dbt.type_float() }}) as {{ column }},
    {%- endfor %}
    is_month_start,
    churned_90d
from final
