-- The `overall` rows of each monthly CX mart are exactly the months of survey activity:
-- every month from the first to the last, once, none outside.
-- Fails with each (model, month) missing from a mart or extra in it.
-- Reads several models: Dagster shows it as an asset check of cx_nps_monthly.
{{ config(meta={'dagster': {'ref': {'name': 'cx_nps_monthly'}}}) }}
with

survey_months as (

    select * from {{ ref('int_cx__survey_months') }}

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

overall_rows as (

    select
        'cx_nps_monthly' as model_name,
        nps_monthly.month as month_start
    from nps_monthly
    where nps_monthly.dimension = 'overall'
    union all
    select
        'cx_csat_monthly' as model_name,
        csat_monthly.month as month_start
    from csat_monthly
    where csat_monthly.dimension = 'overall'
    union all
    select
        'cx_ces_monthly' as model_name,
        ces_monthly.month as month_start
    from ces_monthly
    where ces_monthly.dimension = 'overall'

),

model_names as (

    select 'cx_nps_monthly' as model_name
    union all
    select 'cx_csat_monthly' as model_name
    union all
    select 'cx_ces_monthly' as model_name

),

expected as (

    select
        model_names.model_name,
        survey_months.month_start
    from model_names
    cross join survey_months

),

published as (

    select
        model_name,
        month_start,
        count(*) as overall_rows
    from overall_rows
    group by 1, 2

),

differences as (

    select
        coalesce(expected.model_name, published.model_name) as model_name,
        coalesce(expected.month_start, published.month_start) as month_start,
        coalesce(published.overall_rows, 0) as overall_rows
    from expected
    full outer join published
        on
            expected.model_name = published.model_name
            and expected.month_start = published.month_start
    where
        expected.month_start is null
        or published.month_start is null
        or published.overall_rows <> 1

)

select
    model_name,
    month_start,
    overall_rows
from differences
