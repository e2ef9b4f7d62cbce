-- Active users nest: dau <= wau <= mau on every account-day (a user active today is active
-- this week and this month). Fails with each row where they do not. Reads the days this
-- run rewrote (macros/rebuilt_rows.sql).
with

usage as (

    select * from {{ rebuilt_rows(ref('product_usage_daily'), 'date') }}

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
