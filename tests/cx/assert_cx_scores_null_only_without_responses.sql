-- A period without responses has null scores, never 0; a period with responses has every
-- score. Checks each monthly CX mart and the per-account trailing windows.
-- Fails with each row that breaks the rule.
-- Reads several models: Dagster shows it as an asset check of cx_nps_monthly.
{{ config(meta={'dagster': {'ref': {'name': 'cx_nps_monthly'}}}) }}
with

nps_monthly as (

    select * from {{ ref('cx_nps_monthly') }}

),

csat_monthly as (

    select * from {{ ref('cx_csat_monthly') }}

),

ces_monthly as (

    select * from {{ ref('cx_ces_monthly') }}

),

response_rates as (

    select * from {{ ref('cx_response_rates_monthly') }}

),

acquisition as (

    select * from {{ ref('cx_acquisition_monthly') }}

),

sentiment_daily as (

    select * from {{ ref('int_cx__account_sentiment_daily') }}

),

violations as (

    select
        'cx_nps_monthly' as model_name,
        nps_monthly.month as period_start,
        nps_monthly.responses as denominator
    from nps_monthly
    where
        (nps_monthly.responses = 0 and (nps_monthly.nps is not null or nps_monthly.nps_moe_95 is not null))
        or (nps_monthly.responses > 0 and (nps_monthly.nps is null or nps_monthly.nps_moe_95 is null))

    union all

    select
        'cx_csat_monthly' as model_name,
        csat_monthly.month as period_start,
        csat_monthly.responses as denominator
    from csat_monthly
    where
        (csat_monthly.responses = 0 and (csat_monthly.csat_pct is not null or csat_monthly.csat_mean is not null))
        or (csat_monthly.responses > 0 and (csat_monthly.csat_pct is null or csat_monthly.csat_mean is null))

    union all

    select
        'cx_ces_monthly' as model_name,
        ces_monthly.month as period_start,
        ces_monthly.responses as denominator
    from ces_monthly
    where
        (ces_monthly.responses = 0 and (ces_monthly.ces_mean is not null or ces_monthly.high_effort_pct is not null))
        or (ces_monthly.responses > 0 and (ces_monthly.ces_mean is null or ces_monthly.high_effort_pct is null))

    union all

    select
        'cx_response_rates_monthly' as model_name,
        response_rates.month as period_start,
        response_rates.invitations as denominator
    from response_rates
    where (response_rates.invitations = 0) = (response_rates.response_rate_pct is not null)

    union all

    select
        'cx_acquisition_monthly' as model_name,
        acquisition.month as period_start,
        acquisition.trials_started as denominator
    from acquisition
    -- the rate is published exactly for closed cohorts with trials (an open cohort's is null)
    where
        (acquisition.trials_started > 0 and acquisition.is_trial_cohort_closed)
        <> (acquisition.trial_conversion_pct is not null)

    union all

    select
        'int_cx__account_sentiment_daily' as model_name,
        sentiment_daily.as_of_date as period_start,
        sentiment_daily.nps_responses_90d as denominator
    from sentiment_daily
    where
        (sentiment_daily.nps_responses_90d = 0) = (sentiment_daily.nps_90d is not null)
        or (sentiment_daily.csat_responses_180d = 0) = (sentiment_daily.csat_180d_pct is not null)
        or (sentiment_daily.ces_responses_180d = 0) = (sentiment_daily.ces_180d_mean is not null)

)

select
    model_name,
    period_start,
    denominator
from violations
