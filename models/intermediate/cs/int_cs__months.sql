with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

-- From the month of the first subscription version (trial or paid), to the month of the
-- as-of date (staging holds only the versions started by then).
bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(subscriptions.valid_from)') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', as_of_date()) }} as date) as last_month
    from subscriptions

),

months as (

    -- At most 1200 months (100 years) of billing history; the shared portable period spine.
    {{ cx_period_spine('month', 'bounds', 'first_month', 'last_month', 1200) }}

),

month_ends as (

    select
        period_start as month_start,
        {{ dbt.last_day('period_start', 'month') }} as month_end
    from months

),

-- MRR of a month is measured at its last day; the current month (the as-of month) at the
-- as-of date, so nothing dated after the as-of date counts.
final as (

    select
        month_start,
        month_end,
        case
            when month_end < {{ as_of_date() }} then month_end
            else {{ as_of_date() }}
        end as snapshot_date
    from month_ends

)

select
    month_start,
    cast(month_end as date) as month_end,
    cast(snapshot_date as date) as snapshot_date
from final
