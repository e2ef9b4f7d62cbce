{#-
    A view over the only large raw input. Only the incremental daily events rollup
    reads it (architecture: scan the events once per run), so it stays a view.
    The free-form properties object stops here: only properties.feature is kept,
    so no unvetted (possibly personal) field travels downstream.

    Deduplication key: (occurred_at, event_id). SDK retries repeat the whole event, so every
    delivery of an event_id carries the same occurred_at and this is the same as deduplicating
    on event_id alone; with occurred_at in the window's partition, a filter on occurred_at (the
    rollup's incremental window) is pushed through the window into the raw scan, so an
    incremental run reads only the days it recomputes instead of every event ever loaded.
-#}
with

source as (

    select * from {{ source('product', 'events') }}

),

latest as (

    {{ dedupe_latest('source', ['occurred_at', 'event_id']) }}

),

renamed as (

    select
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(lower(trim(event_name)) as {{ dbt.type_string() }}) as event_name,
        cast(
            nullif(lower(trim({{ json_extract_string('properties', 'feature') }})), '')
            as {{ dbt.type_string() }}
        ) as feature,
        cast(occurred_at as {{ dbt.type_timestamp() }}) as occurred_at,
        cast({{ dbt.date_trunc('day', 'occurred_at') }} as date) as occurred_date,
        cast(received_at as {{ dbt.type_timestamp() }}) as received_at,
        _batch_id,
        _loaded_at

    from latest
    -- The as-of cut (macros/as_of_date.sql): an event counts on the day it occurred, whenever it arrived.
    where {{ recorded_by_as_of('occurred_at') }}

)

select
    event_id,
    account_id,
    user_id,
    event_name,
    feature,
    occurred_at,
    occurred_date,
    received_at,
    _batch_id,
    _loaded_at
from renamed
