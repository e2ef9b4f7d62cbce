-- Every playbook alert traces back to the record that caused it, per alert type:
--   detractor_outreach / csat_recovery / friction_review: the survey response (source_id =
--     response_id) of the same account, with a score that fires the type (NPS <= 6,
--     CSAT <= 2, CES >= 5) and responded_at = triggered_at;
--   billing_issue: the invoice (source_id = invoice_id) of the account, due_at + 14 days =
--     triggered_at, not paid, voided or written off by then;
--   health_drop: the health row (source_id = '<account_id>|<date>') of that day, = source_date;
--   renewal_risk: the subscription (source_id) of the account with a paid version in force on
--     source_date whose contract_end is within 90 days, and a yellow or red health row that day;
--   churn_risk_high: the cs_churn_risk row (source_id = '<account_id>|<date>') of that day in
--     band high (int_health__churn_risk_high: empty where the learned model is not built).
--   negative_theme: the comment (source_id = response_id) of the account among the strongly
--     negative churn-theme comments (int_cx__negative_theme_comments), responded_at = triggered_at.
-- Fails with each alert whose source does not resolve.
-- Reads several models: Dagster shows it as an asset check of cs_playbook_alerts.
{{ config(meta={'dagster': {'ref': {'name': 'cs_playbook_alerts'}}}) }}
with

alerts as (

    select * from {{ ref('cs_playbook_alerts') }}

),

responses as (

    select * from {{ ref('fct_survey_responses') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

health as (

    select * from {{ ref('cs_account_health_daily') }}

),

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

churn_risk_high as (

    select * from {{ ref('int_health__churn_risk_high') }}

),

negative_theme_comments as (

    select * from {{ ref('int_cx__negative_theme_comments') }}

),

survey_resolved as (

    select alerts.alert_id
    from alerts
    inner join responses
        on
            alerts.source_id = responses.response_id
            and alerts.account_id = responses.account_id
            and alerts.triggered_at = responses.responded_at
    where
        (alerts.alert_type = 'detractor_outreach' and responses.survey_type = 'nps' and responses.score <= 6)
        or (alerts.alert_type = 'csat_recovery' and responses.survey_type = 'csat' and responses.score <= 2)
        or (alerts.alert_type = 'friction_review' and responses.survey_type = 'ces' and responses.score >= 5)

),

invoice_resolved as (

    select alerts.alert_id
    from alerts
    inner join invoices
        on
            alerts.source_id = invoices.invoice_id
            and alerts.account_id = invoices.account_id
            and alerts.triggered_at = {{ dbt.dateadd('day', 14, 'invoices.due_at') }}
    where
        alerts.alert_type = 'billing_issue'
        and not (invoices.status = 'paid' and coalesce(invoices.paid_at, invoices.updated_at) <= alerts.triggered_at)
        and not (invoices.status in ('void', 'uncollectible') and invoices.updated_at <= alerts.triggered_at)

),

health_resolved as (

    select alerts.alert_id
    from alerts
    inner join health
        on
            alerts.account_id = health.account_id
            and alerts.source_date = health.date
            and alerts.source_id
            = {{ dbt.concat(["health.account_id", "'|'", "cast(health.date as " ~ dbt.type_string() ~ ")"]) }}
    where alerts.alert_type = 'health_drop'

),

renewal_resolved as (

    select distinct alerts.alert_id
    from alerts
    inner join health
        on
            alerts.account_id = health.account_id
            and alerts.source_date = health.date
            and health.health_band in ('yellow', 'red')
    inner join versions
        on
            alerts.source_id = versions.subscription_id
            and alerts.account_id = versions.account_id
            and not versions.is_trial
            and alerts.source_date >= versions.valid_from
            and (versions.valid_to is null or alerts.source_date < versions.valid_to)
            and alerts.source_date <= versions.contract_end
            and cast({{ dbt.dateadd('day', 90, 'alerts.source_date') }} as date) >= versions.contract_end
    where alerts.alert_type = 'renewal_risk'

),

churn_risk_resolved as (

    select alerts.alert_id
    from alerts
    inner join churn_risk_high
        on
            alerts.account_id = churn_risk_high.account_id
            and alerts.source_date = churn_risk_high.date_day
            and alerts.source_id = {{ dbt.concat([
                "churn_risk_high.account_id", "'|'", "cast(churn_risk_high.date_day as " ~ dbt.type_string() ~ ")",
            ]) }}
    where alerts.alert_type = 'churn_risk_high'

),

comment_resolved as (

    select alerts.alert_id
    from alerts
    inner join negative_theme_comments
        on
            alerts.source_id = negative_theme_comments.response_id
            and alerts.account_id = negative_theme_comments.account_id
            and alerts.triggered_at = negative_theme_comments.responded_at
    where alerts.alert_type = 'negative_theme'

),

resolved as (

    select alert_id from comment_resolved
    union all
    select alert_id from survey_resolved
    union all
    select alert_id from invoice_resolved
    union all
    select alert_id from health_resolved
    union all
    select alert_id from renewal_resolved
    union all
    select alert_id from churn_risk_resolved

),

unresolved as (

    select
        alerts.alert_id,
        alerts.alert_type,
        alerts.source_id
    from alerts
    left join resolved
        on alerts.alert_id = resolved.alert_id
    where resolved.alert_id is null

)

select * from unresolved
