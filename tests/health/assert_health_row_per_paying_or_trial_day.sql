-- Exactly one health row per account and day while the account pays (MRR > 0) or is in
-- trial, over the product history; none on other days. (Duplicates are caught by the
-- unique_combination_of_columns test of cs_account_health_daily.)
-- Fails with each missing or unexpected (account, day).
-- Reads several models: Dagster shows it as an asset check of cs_account_health_daily.
{{ config(meta={'dagster': {'ref': {'name': 'cs_account_health_daily'}}}) }}
with

account_days as (

    select * from {{ ref('int_health__account_days') }}

),

health as (

    select * from {{ ref('cs_account_health_daily') }}

),

expected as (

    select
        account_id,
        date_day
    from account_days
    where is_paying or is_trial

),

missing as (

    select
        expected.account_id,
        expected.date_day,
        'missing' as problem
    from expected
    left join health
        on
            expected.account_id = health.account_id
            and expected.date_day = health.date
    where health.account_id is null

),

unexpected as (

    select
        health.account_id,
        health.date as date_day,
        'unexpected' as problem
    from health
    left join expected
        on
            health.account_id = expected.account_id
            and health.date = expected.date_day
    where expected.account_id is null

)

select * from missing
union all
select * from unexpected
