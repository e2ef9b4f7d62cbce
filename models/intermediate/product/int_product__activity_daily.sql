{#-
    The events rollup: the only model that reads product events (through the staging view),
    once per run. Incremental: each run rebuilds whole days — every day on or after
    product_events_cutoff (the earliest day an event of a batch loaded since the last
    completed run occurred on, whatever its age) — with delete+insert on activity_date, so
    a late event lands on the day it occurred and a day is never half old, half new. The
    pre-hook first deletes every day from the cutoff on (all days when there is none), so a
    day no longer produced (after an as-of date moved back) does not survive. The
    highest raw batch read is recorded with the run (input_state of its rebuild record) and
    marked completed by the post-hook once the rows are written. Portable strategy
    (macros/engines/incremental.sql): delete+insert on the day key on DuckDB and PostgreSQL,
    insert_overwrite of the activity_date partitions on Spark (where runs cannot be marked
    completed, so every run rebuilds every day).
-#}
{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        pre_hook="{{ delete_rebuilt_rows('activity_date') }}",
        post_hook="{{ mark_rebuild_completed() }}",
        **replace_periods_config('activity_date'),
    )
}}

{%- set batch_mark = product_events_batch_mark() %}
{%- set cutoff = product_events_cutoff(this, batch_mark) if is_incremental() else none %}
{%- do record_rebuilt_from(cutoff, batch_mark) %}

with

events as (

    select * from {{ ref('stg_product__events') }}
    {%- if cutoff is not none %}
        where occurred_at >= {{ cutoff }}
    {%- endif %}

),

-- One pass over the events at the finest grain; both groupings below read this CTE (used
-- twice, so DuckDB and PostgreSQL materialise it: the events are scanned once).
user_event_days as (

    select
        occurred_date as activity_date,
        account_id,
        user_id,
        event_name,
        feature,
        count(*) as events,
        min(occurred_at) as first_occurred_at
    from events
    group by 1, 2, 3, 4, 5

),

-- Per user and day (active users, event counts) and per event name and feature and day
-- (milestones, feature use).
rolled_up as (

    select
        activity_date,
        account_id,
        'user' as rollup_level,
        user_id,
        null as event_name,
        null as feature,
        sum(events) as events,
        min(first_occurred_at) as first_occurred_at
    from user_event_days
    group by 1, 2, 3, 4

    union all

    select
        activity_date,
        account_id,
        'event' as rollup_level,
        null as user_id,
        event_name,
        feature,
        sum(events) as events,
        min(first_occurred_at) as first_occurred_at
    from user_event_days
    group by 1, 2, 3, 4, 5, 6

)

select
    cast(activity_date as date) as activity_date,
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(rollup_level as {{ dbt.type_string() }}) as rollup_level,
    cast(user_id as {{ dbt.type_string() }}) as user_id,
    cast(event_name as {{ dbt.type_string() }}) as event_name,
    cast(feature as {{ dbt.type_string() }}) as feature,
    cast(events as {{ dbt.type_bigint() }}) as events,
    cast(first_occurred_at as {{ dbt.type_timestamp() }}) as first_occurred_at
from rolled_up
