-- The semantic layer's day time spine (MetricFlow joins to it for metric_time and fills
-- gaps with it). Grain: one row per calendar day (UTC) from 2015-01-01 to 2039-12-31, a
-- fixed range well around any history the warehouse holds; dbt.date_spine keeps it portable.
with

days as (

    {{ dbt.date_spine(
        'day',
        "cast('2015-01-01' as date)",
        "cast('2040-01-01' as date)"
    ) }}

)

select cast(date_day as date) as date_day
from days
