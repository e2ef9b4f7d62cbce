-- health_band follows health_score and the thresholds of seeds/health_score_weights.csv:
-- green when score >= band green_min, yellow when >= band yellow_min, red below.
-- Fails with each health row whose band disagrees with its score. Reads the days this run
-- rewrote (macros/rebuilt_rows.sql); seeds/health_score_weights.csv changing rebuilds all.
-- Reads several models: Dagster shows it as an asset check of cs_account_health_daily.
{{ config(meta={'dagster': {'ref': {'name': 'cs_account_health_daily'}}}) }}
with

health as (

    select * from {{ rebuilt_rows(ref('cs_account_health_daily'), 'date') }}

),

parameters as (

    select * from {{ ref('int_health__parameters') }}

),

mismatches as (

    select
        health.account_id,
        health.date as health_date,
        health.health_score,
        health.health_band
    from health
    cross join parameters
    where
        health.health_band <> case
            when health.health_score >= parameters.band_green_min then 'green'
            when health.health_score >= parameters.band_yellow_min then 'yellow'
            else 'red'
        end

)

select * from mismatches
