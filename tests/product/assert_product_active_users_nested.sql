-- Active users nest: dau <= wau <= mau on every account-day (a user active today is active
-- this week and this month). Fails with each row where they do not.
with

usage as (

    select * from {{ ref('product_usage_daily') }}

),

violations as (

    select
        account_id,
        date as usage_date,  -- noqa: RF04
        dau,
        wau,
        mau
    from usage
    where dau > wau or wau > mau

)

select * from violations
