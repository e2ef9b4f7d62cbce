{{ config(materialized='table') }}

with

activity as (

    select * from {{ ref('int_product__activity_daily') }}

),

-- The product history: from the first day with any product event to the as-of date.
bounds as (

    select
        min(activity_date) as first_date,
        {{ as_of_date() }} as last_date
    from activity

),

days as (

    -- At most 36600 days (100 years) of product history.
    {{ cx_period_spine('day', 'bounds', 'first_date', 'last_date', 36600) }}

)

select cast(period_start as date) as date_day
from days
