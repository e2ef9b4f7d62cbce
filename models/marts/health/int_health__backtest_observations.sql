{#- A step of the health marts that reads cs_account_health_daily: ephemeral, so it is a CTE
    of the mart that selects from it, not a relation (models/marts/health/_health__models.yml). -#}
{{ config(materialized='ephemeral') }}

with

health as (

    select * from {{ ref('cs_account_health_daily') }}

),

account_days as (

    select * from {{ ref('int_health__account_days') }}

),

paying_spells as (

    select * from {{ ref('int_health__paying_spells') }}

),

-- Month starts whose 90-day outcome window has ended by the as-of date.
months as (

    select date_day as month_start
    from account_days
    where
        {{ dbt.date_trunc('month', 'date_day') }} = date_day
        and {{ churn_window_ended('date_day') }}
    group by 1

),

-- Each account paying on a month start, with its score that day and whether its paying spell
-- ended (MRR fell to 0: logo churn) within the next 90 days (macros/health/churn_label.sql).
final as (

    select
        months.month_start,
        health.account_id,
        health.health_score,
        health.health_band,
        {{ churned_within_90d('months.month_start', 'paying_spells.paying_until') }} as churned_90d
    from months
    inner join account_days
        on
            months.month_start = account_days.date_day
            and account_days.is_paying
    inner join health
        on
            account_days.account_id = health.account_id
            and account_days.date_day = health.date
    inner join paying_spells
        on
            account_days.account_id = paying_spells.account_id
            and months.month_start >= paying_spells.paying_from
            and months.month_start < paying_spells.paying_until

)

select
    cast(month_start as date) as month_start,
    account_id,
    health_score,
    health_band,
    churned_90d
from final
