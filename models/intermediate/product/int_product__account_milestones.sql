{#- A table: three models (onboarding, cs_onboarding, the health score) and the onboarding
    tests read it; as a view each of them re-read the events rollup. -#}
{{ config(materialized='table') }}

with

activity as (

    select * from {{ ref('int_product__activity_daily') }}

),

milestones as (

    select * from {{ ref('onboarding_milestones') }}

),

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

days as (

    select * from {{ ref('int_product__days') }}

),

-- Onboarding starts with the account's first subscription version, trial or paid.
starts as (

    select
        account_id,
        min(valid_from) as started_date
    from versions
    group by 1

),

history as (

    select min(date_day) as history_start_date
    from days

),

-- First time each milestone's event (with the milestone's feature, when it names one) occurred.
reached as (

    select
        activity.account_id,
        milestones.milestone,
        min(activity.first_occurred_at) as reached_at
    from activity
    inner join milestones
        on
            activity.event_name = milestones.event_name
            and (milestones.feature is null or activity.feature = milestones.feature)
    where activity.rollup_level = 'event'
    group by 1, 2

),

final as (

    select
        starts.account_id,
        starts.started_date,
        milestones.milestone,
        milestones.sort_order,
        milestones.is_required,
        milestones.is_value_moment,
        reached.reached_at,
        cast(reached.reached_at as date) as reached_date,
        -- A milestone reached before the subscription started counts as day 0.
        case
            when reached.reached_at is null then null
            when cast(reached.reached_at as date) < starts.started_date then 0
            else {{ dbt.datediff('starts.started_date', 'cast(reached.reached_at as date)', 'day') }}
        end as days_to_reach,
        -- Onboarding is observed when it started inside the product history; before that the
        -- first events are unknown, so a milestone's first event in the history may be late.
        coalesce(starts.started_date >= history.history_start_date, false) as is_observed_from_start
    from starts
    cross join milestones
    cross join history
    left join reached
        on
            starts.account_id = reached.account_id
            and milestones.milestone = reached.milestone

)

select
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(started_date as date) as started_date,
    cast(milestone as {{ dbt.type_string() }}) as milestone,
    cast(sort_order as {{ dbt.type_int() }}) as sort_order,
    is_required,
    is_value_moment,
    cast(reached_at as {{ dbt.type_timestamp() }}) as reached_at,
    cast(reached_date as date) as reached_date,
    cast(days_to_reach as {{ dbt.type_int() }}) as days_to_reach,
    is_observed_from_start
from final
