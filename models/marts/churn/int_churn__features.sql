{#-
    The churn model's rows: every account-day an account pays, up to the as-of date, with the
    features known that day and, once its window has ended by the as-of date, the backtest's
    90-day logo-churn label (macros/health/churn_label.sql, the definition the health
    backtest uses). Every day trains; the month starts are the evaluation rows (as in the
    health backtest) and the as-of date's rows are scored now. A table, not ephemeral like
    the health marts' steps: the dbt Python models read it, and they cannot read an
    ephemeral model; in schema marts, as every table of this folder (the graph's layers).

    Four features, each a signal a CS team reads for any subscription business (DECISIONLOG
    "Learned churn risk, round 2"): the fixed health score itself (the model learns
    corrections to a good prior instead of re-learning its weights from a few dozen
    churners), whether the contract can end within the label's 90 days at all, the payment
    history, and usage against the account's own recent baseline.
-#}

{#- The feature set: orchestration/churn/model.py FEATURES reads the same columns. -#}
{%- set feature_columns = [
    'health_score', 'renews_within_90d', 'late_invoices_365d', 'usage_vs_baseline_log',
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

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

activity as (

    select * from {{ ref('int_product__activity_daily') }}

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

-- An account cannot stop paying within 90 days while an annual term in force runs past
-- day + 90 (a cancellation takes effect at the term end). A monthly term always ends within
-- the window; its delivered contract_end is the export's current period, not that day's, so
-- only annual terms' ends are read (each renewal is a new version with its own term end).
locked_terms as (

    select distinct
        observation_days.account_id,
        observation_days.observed_on
    from observation_days
    inner join versions
        on
            observation_days.account_id = versions.account_id
            and {{ cs_is_in_force('versions', 'observation_days.observed_on') }}
    where
        not versions.is_trial
        and versions.billing_interval = 'year'
        and versions.contract_end > cast({{ dbt.dateadd('day', 90, 'observation_days.observed_on') }} as date)

),

-- Payment history: invoices due in the 365 days before the day that were not paid by their
-- due date (paid later, or still unpaid: open or uncollectible). Known on the day: the due
-- date has passed. Drafts and voided invoices asked for no payment.
late_invoices as (

    select
        observation_days.account_id,
        observation_days.observed_on,
        count(*) as late_invoices_365d
    from observation_days
    inner join invoices
        on
            observation_days.account_id = invoices.account_id
            and cast(invoices.due_at as date) < observation_days.observed_on
            and cast(invoices.due_at as date)
            >= cast({{ dbt.dateadd('day', -365, 'observation_days.observed_on') }} as date)
    where
        invoices.status not in ('draft', 'void')
        and (invoices.paid_at is null or cast(invoices.paid_at as date) > cast(invoices.due_at as date))
    group by 1, 2

),

active_user_days as (

    select
        account_id,
        activity_date,
        count(*) as active_users
    from activity
    where rollup_level = 'user'
    group by 1, 2

),

usage_bounds as (

    select
        account_id,
        observed_on,
        cast({{ dbt.dateadd('day', -14, 'observed_on') }} as date) as recent_after,
        cast({{ dbt.dateadd('day', -104, 'observed_on') }} as date) as baseline_after
    from observation_days

),

-- Usage against the account's own baseline: active user-days of the last 14 days against
-- the 90 days before them (scaled to 14 days), so a large account and a small one that both
-- halve their usage look alike; +1 on both sides keeps quiet accounts finite.
usage_windows as (

    select
        usage_bounds.account_id,
        usage_bounds.observed_on,
        sum(
            case when active_user_days.activity_date > usage_bounds.recent_after then active_user_days.active_users end
        ) as active_user_days_14d,
        sum(
            case when active_user_days.activity_date <= usage_bounds.recent_after then active_user_days.active_users end
        ) as active_user_days_prior_90d
    from usage_bounds
    inner join active_user_days
        on
            usage_bounds.account_id = active_user_days.account_id
            and usage_bounds.observed_on >= active_user_days.activity_date
            and usage_bounds.baseline_after < active_user_days.activity_date
    group by 1, 2

),

final as (

    select
        observation_days.account_id,
        observation_days.observed_on,
        observation_days.is_month_start,
        observation_days.churned_90d,
        health.health_score,
        case when locked_terms.account_id is null then 1.0 else 0.0 end as renews_within_90d,
        coalesce(late_invoices.late_invoices_365d, 0) as late_invoices_365d,
        ln(
            (coalesce(usage_windows.active_user_days_14d, 0) + 1.0)
            / (coalesce(usage_windows.active_user_days_prior_90d, 0) * 14.0 / 90.0 + 1.0)
        ) as usage_vs_baseline_log
    from observation_days
    inner join health
        on
            observation_days.account_id = health.account_id
            and observation_days.observed_on = health.date
    left join locked_terms
        on
            observation_days.account_id = locked_terms.account_id
            and observation_days.observed_on = locked_terms.observed_on
    left join late_invoices
        on
            observation_days.account_id = late_invoices.account_id
            and observation_days.observed_on = late_invoices.observed_on
    left join usage_windows
        on
            observation_days.account_id = usage_windows.account_id
            and observation_days.observed_on = usage_windows.observed_on

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
