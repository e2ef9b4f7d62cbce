-- NPS counts are a partition of the responses: promoters + passives + detractors = responses,
-- in every row of cx_nps_monthly and of the per-account trailing 90 days.
-- Fails with each row where they do not add up.
-- Reads several models: Dagster shows it as an asset check of cx_nps_monthly.
{{ config(meta={'dagster': {'ref': {'name': 'cx_nps_monthly'}}}) }}
with

nps_monthly as (

    select * from {{ ref('cx_nps_monthly') }}

),

sentiment_daily as (

    select * from {{ ref('int_cx__account_sentiment_daily') }}

),

mismatches as (

    select
        'cx_nps_monthly' as model_name,
        cast(nps_monthly.month as {{ dbt.type_string() }}) as row_key,
        nps_monthly.responses,
        nps_monthly.promoters + nps_monthly.passives + nps_monthly.detractors as classified
    from nps_monthly
    where nps_monthly.promoters + nps_monthly.passives + nps_monthly.detractors <> nps_monthly.responses

    union all

    select
        'int_cx__account_sentiment_daily' as model_name,
        sentiment_daily.account_id as row_key,
        sentiment_daily.nps_responses_90d as responses,
        sentiment_daily.nps_promoters_90d
        + sentiment_daily.nps_passives_90d
        + sentiment_daily.nps_detractors_90d as classified
    from sentiment_daily
    where
        sentiment_daily.nps_promoters_90d
        + sentiment_daily.nps_passives_90d
        + sentiment_daily.nps_detractors_90d
        <> sentiment_daily.nps_responses_90d

)

select
    model_name,
    row_key,
    responses,
    classified
from mismatches
