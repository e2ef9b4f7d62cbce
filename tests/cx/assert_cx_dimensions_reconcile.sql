-- In every month, each dimension's values add up to the overall responses, and the overall
-- responses are the responses of fct_survey_responses of that type and month: a response is
-- counted once per dimension, never lost or doubled.
-- Fails with each (model, month, dimension) whose responses differ from the response fact.
-- Reads several models: Dagster shows it as an asset check of fct_survey_responses.
{{ config(meta={'dagster': {'ref': {'name': 'fct_survey_responses'}}}) }}
with

responses as (

    select * from {{ ref('fct_survey_responses') }}

),

nps_monthly as (

    select * from {{ ref('cx_nps_monthly') }}

),

csat_monthly as (

    select * from {{ ref('cx_csat_monthly') }}

),

ces_monthly as (

    select * from {{ ref('cx_ces_monthly') }}

),

published as (

    select
        'nps' as survey_type,
        nps_monthly.month as month_start,
        nps_monthly.dimension,
        nps_monthly.responses
    from nps_monthly
    union all
    select
        'csat' as survey_type,
        csat_monthly.month as month_start,
        csat_monthly.dimension,
        csat_monthly.responses
    from csat_monthly
    union all
    select
        'ces' as survey_type,
        ces_monthly.month as month_start,
        ces_monthly.dimension,
        ces_monthly.responses
    from ces_monthly

),

published_totals as (

    select
        survey_type,
        month_start,
        dimension,
        sum(responses) as responses
    from published
    group by 1, 2, 3

),

fact_totals as (

    select
        survey_type,
        response_month as month_start,
        count(*) as responses
    from responses
    group by 1, 2

),

differences as (

    select
        published_totals.survey_type,
        published_totals.month_start,
        published_totals.dimension,
        published_totals.responses as published_responses,
        coalesce(fact_totals.responses, 0) as fact_responses
    from published_totals
    left join fact_totals
        on
            published_totals.survey_type = fact_totals.survey_type
            and published_totals.month_start = fact_totals.month_start
    where published_totals.responses <> coalesce(fact_totals.responses, 0)

)

select
    survey_type,
    month_start,
    dimension,
    published_responses,
    fact_responses
from differences
