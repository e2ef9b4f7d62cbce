{#- A step of the health marts that reads cs_account_health_daily: ephemeral, so it is a CTE
    of the mart that selects from it, not a relation (models/marts/health/_health__models.yml). -#}
{{ config(materialized='ephemeral') }}

with

responses as (

    select * from {{ ref('int_cx__survey_responses') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

health as (

    select * from {{ ref('cs_account_health_daily') }}

),

usage as (

    select * from {{ ref('product_usage_daily') }}

),

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

fx_rates as (

    select * from {{ ref('int_cs__fx_rates') }}

),

churn_risk_high as (

    select * from {{ ref('int_health__churn_risk_high') }}

),

negative_theme_comments as (

    select * from {{ ref('int_cx__negative_theme_comments') }}

),

paying_spells as (

    select * from {{ ref('int_health__paying_spells') }}

),

-- Survey answers that call for a playbook: an NPS detractor (0-6), a CSAT of 1-2, a CES of 5-7.
survey_signals as (

    select
        account_id,
        case survey_type
            when 'nps' then 'detractor_outreach'
            when 'csat' then 'csat_recovery'
            when 'ces' then 'friction_review'
        end as alert_type,
        responded_at as triggered_at,
        case
            when survey_type = 'nps' and score <= 4 then 'high'
            when survey_type = 'nps' then 'medium'
            when survey_type = 'csat' and score = 1 then 'high'
            when survey_type = 'csat' then 'medium'
            when survey_type = 'ces' and score = 7 then 'medium'
            else 'low'
        end as priority,
        {{ dbt.concat([
            "upper(survey_type)", "' score '", "cast(score as " ~ dbt.type_string() ~ ")",
            "' on the '", "touchpoint", "' survey'",
        ]) }} as reason,
        'survey_response' as source_type,
        response_id as source_id,
        response_date as source_date,
        cast(score as {{ dbt.type_numeric() }}) as signal_value
    from responses
    -- Responses up to the as-of date only (stg_survey__responses).
    where
        (survey_type = 'nps' and score <= 6)
        or (survey_type = 'csat' and score <= 2)
        or (survey_type = 'ces' and score >= 5)

),

-- An invoice still open 14 days after its due date: triggered at due_at + 14 days. It stopped
-- being open when paid (paid_at) or voided / written off (updated_at); drafts never count.
-- amount_due_usd: marts report money in the reporting currency (USD), converted at the one
-- seed rate of the invoice's currency like MRR and lifetime revenue (DECISIONLOG "Pricing a
-- version in USD"); null when the currency has no rate, never an amount in another currency.
sent_invoices as (

    select
        invoices.invoice_id,
        invoices.account_id,
        invoices.amount_due,
        invoices.currency,
        invoices.due_at,
        {{ round_decimal('invoices.amount_due * fx_rates.rate_to_reporting', 2, 18) }} as amount_due_usd,
        {{ dbt.dateadd('day', 14, 'invoices.due_at') }} as overdue_14d_at,
        case
            when invoices.status = 'paid' then coalesce(invoices.paid_at, invoices.updated_at)
            when invoices.status in ('void', 'uncollectible') then invoices.updated_at
        end as closed_at
    from invoices
    left join fx_rates
        on invoices.currency = fx_rates.currency
    where invoices.status <> 'draft'

),

billing_signals as (

    select
        account_id,
        'billing_issue' as alert_type,
        overdue_14d_at as triggered_at,
        'medium' as priority,
        {{ dbt.concat([
            "'Invoice '", "invoice_id", "' of '", "cast(amount_due as " ~ dbt.type_string() ~ ")", "' '", "currency",
            "' open more than 14 days past due'",
        ]) }} as reason,
        'invoice' as source_type,
        invoice_id as source_id,
        cast(due_at as date) as source_date,
        cast(amount_due_usd as {{ dbt.type_numeric() }}) as signal_value
    from sent_invoices
    where
        (closed_at is null or closed_at > overdue_14d_at)
        and cast(overdue_14d_at as date) <= {{ as_of_date() }}

),

-- Health on a dense day series per account (null on days without a health row), so a window
-- of N rows is N calendar days.
health_series as (

    select
        usage.account_id,
        usage.date as date_day,
        health.health_score,
        health.health_band,
        max(health.health_score) over (
            partition by usage.account_id
            order by usage.date
            rows between 30 preceding and 1 preceding
        ) as max_score_prev_30d,
        lag(health.health_band) over (partition by usage.account_id order by usage.date) as previous_band
    from usage
    left join health
        on
            usage.account_id = health.account_id
            and usage.date = health.date

),

-- Health fell by 15 points or more from its highest value of the previous 30 days, or fell
-- into red from green or yellow the day before.
health_drop_signals as (

    select
        account_id,
        'health_drop' as alert_type,
        cast(date_day as {{ dbt.type_timestamp() }}) as triggered_at,
        case when health_band = 'red' then 'high' else 'medium' end as priority,
        case
            when health_band = 'red' and previous_band in ('green', 'yellow')
                then {{ dbt.concat([
                    "'Health fell into red: '", "cast(health_score as " ~ dbt.type_string() ~ ")",
                    "' (' ", "previous_band", "' the day before)'",
                ]) }}
            else {{ dbt.concat([
                "'Health fell '", "cast(max_score_prev_30d - health_score as " ~ dbt.type_string() ~ ")",
                "' points in 30 days, to '", "cast(health_score as " ~ dbt.type_string() ~ ")",
            ]) }}
        end as reason,
        'health_row' as source_type,
        {{ dbt.concat(["account_id", "'|'", "cast(date_day as " ~ dbt.type_string() ~ ")"]) }} as source_id,
        date_day as source_date,
        cast(health_score as {{ dbt.type_numeric() }}) as signal_value
    from health_series
    where
        health_score is not null
        and (
            max_score_prev_30d - health_score >= 15
            or (health_band = 'red' and previous_band in ('green', 'yellow'))
        )

),

-- A paid subscription in force whose term ends within 90 days (the day itself included)
-- while the account's health band is yellow or red; the earliest term end first.
renewals_at_risk as (

    select
        health.account_id,
        health.date as date_day,
        health.health_band,
        health.health_score,
        versions.subscription_id,
        versions.contract_end,
        {{ dbt.datediff('health.date', 'versions.contract_end', 'day') }} as days_to_renewal,  -- noqa: LT05
        row_number() over (
            partition by health.account_id, health.date
            order by versions.contract_end, versions.subscription_id
        ) as renewal_rank
    from health
    inner join versions
        on
            health.account_id = versions.account_id
            and not versions.is_trial
            -- in force at the end of the day: valid_from <= day < valid_to (open = in force)
            and health.date >= versions.valid_from
            and (versions.valid_to is null or health.date < versions.valid_to)
            and health.date <= versions.contract_end
            and cast({{ dbt.dateadd('day', 90, 'health.date') }} as date) >= versions.contract_end
    where health.health_band in ('yellow', 'red')

),

renewal_signals as (

    select
        account_id,
        'renewal_risk' as alert_type,
        cast(date_day as {{ dbt.type_timestamp() }}) as triggered_at,
        case
            when
                health_band = 'red'
                or contract_end <= cast({{ dbt.dateadd('day', 30, 'date_day') }} as date)
                then 'high'
            else 'medium'
        end as priority,
        {{ dbt.concat([
            "'Renewal of '", "subscription_id", "' on '", "cast(contract_end as " ~ dbt.type_string() ~ ")",
            "' with health '", "health_band", "' ('", "cast(health_score as " ~ dbt.type_string() ~ ")", "')'",
        ]) }} as reason,
        'subscription' as source_type,
        subscription_id as source_id,
        date_day as source_date,
        cast(days_to_renewal as {{ dbt.type_numeric() }}) as signal_value
    from renewals_at_risk
    where renewal_rank = 1

),

-- Every day the learned 90-day churn probability is in band high (cs_churn_risk); the
-- cool-down keeps one alert per 30 days while it stays there, as for renewal_risk.
churn_risk_signals as (

    select
        account_id,
        'churn_risk_high' as alert_type,
        cast(date_day as {{ dbt.type_timestamp() }}) as triggered_at,
        'high' as priority,
        {{ dbt.concat([
            "'Learned 90-day churn probability '",
            "cast(" ~ round_decimal('100 * churn_probability_90d', 1) ~ " as " ~ dbt.type_string() ~ ")",
            "'%, most raised by '", "coalesce(driver_1, 'no single feature')",
        ]) }} as reason,
        'churn_risk' as source_type,
        {{ dbt.concat(["account_id", "'|'", "cast(date_day as " ~ dbt.type_string() ~ ")"]) }} as source_id,
        date_day as source_date,
        cast(100 * churn_probability_90d as {{ dbt.type_numeric() }}) as signal_value
    from churn_risk_high

),

-- A strongly negative comment on a churn-linked theme (int_cx__negative_theme_comments) by an
-- account paying on the comment's day; high priority at a sentiment score of -0.75 or below.
negative_theme_signals as (

    select
        negative_theme_comments.account_id,
        'negative_theme' as alert_type,
        negative_theme_comments.responded_at as triggered_at,
        case when negative_theme_comments.sentiment_score <= -0.75 then 'high' else 'medium' end as priority,
        {{ dbt.concat([
            "'Strongly negative comment ('", "cast(negative_theme_comments.sentiment_score as " ~ dbt.type_string() ~ ")",
            "') on '", "negative_theme_comments.themes",
        ]) }} as reason,
        'survey_response' as source_type,
        negative_theme_comments.response_id as source_id,
        cast(negative_theme_comments.responded_at as date) as source_date,
        cast(negative_theme_comments.sentiment_score as {{ dbt.type_numeric() }}) as signal_value
    from negative_theme_comments
    inner join paying_spells
        on
            negative_theme_comments.account_id = paying_spells.account_id
            and cast(negative_theme_comments.responded_at as date) >= paying_spells.paying_from
            and cast(negative_theme_comments.responded_at as date) < paying_spells.paying_until

),

unioned as (

    select * from survey_signals
    union all
    select * from billing_signals
    union all
    select * from health_drop_signals
    union all
    select * from renewal_signals
    union all
    select * from churn_risk_signals
    union all
    select * from negative_theme_signals

)

select
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(alert_type as {{ dbt.type_string() }}) as alert_type,
    cast(triggered_at as {{ dbt.type_timestamp() }}) as triggered_at,
    cast(triggered_at as date) as trigger_date,
    cast(priority as {{ dbt.type_string() }}) as priority,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(source_type as {{ dbt.type_string() }}) as source_type,
    cast(source_id as {{ dbt.type_string() }}) as source_id,
    cast(source_date as date) as source_date,
    cast(signal_value as decimal(18, 2)) as signal_value
from unioned
