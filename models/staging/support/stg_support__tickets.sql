{#- requester_email is personal data: read here only to derive has_requester_email, never
    copied on. The satisfaction comment leaves this model redacted (macros/cx/redact_comment.sql). -#}
with

source as (

    select * from {{ source('support', 'tickets') }}

),

known_by_as_of as (

    -- The as-of cut (macros/as_of_date.sql) comes BEFORE the latest-state pick: a ticket's
    -- state as of D is the last state written by D, so a solve or a rating after D is unseen.
    -- created_at <= updated_at (the loader quarantines the rest), so the ticket existed by D.
    select * from source
    where {{ recorded_by_as_of('updated_at') }}

),

latest as (

    {{ dedupe_latest('known_by_as_of', ['ticket_id'], updated_at='updated_at') }}

),

renamed as (

    select
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        cast(lower(trim(status)) as {{ dbt.type_string() }}) as status,
        cast(lower(nullif(trim(priority), '')) as {{ dbt.type_string() }}) as priority,
        cast(coalesce(lower(nullif(trim(channel), '')), 'other') as {{ dbt.type_string() }}) as channel,
        cast(first_reply_at as {{ dbt.type_timestamp() }}) as first_reply_at,
        cast(solved_at as {{ dbt.type_timestamp() }}) as solved_at,
        cast(coalesce(reopens, 0) as {{ dbt.type_int() }}) as reopens,
        cast(
            coalesce(lower(nullif(trim(satisfaction_rating), '')), 'unoffered') as {{ dbt.type_string() }}
        ) as satisfaction_rating,
        cast({{ redacted_free_text('satisfaction_comment') }} as {{ dbt.type_string() }}) as satisfaction_comment,
        cast(satisfaction_rated_at as {{ dbt.type_timestamp() }}) as satisfaction_rated_at,
        coalesce(trim(requester_email) <> '', false) as has_requester_email,
        _batch_id,
        _loaded_at

    from latest

)

select
    ticket_id,
    account_id,
    created_at,
    updated_at,
    status,
    priority,
    channel,
    first_reply_at,
    solved_at,
    reopens,
    satisfaction_rating,
    satisfaction_comment,
    satisfaction_rated_at,
    -- solved or closed at present (the status of the latest state): "solved" in every support metric
    status in ('solved', 'closed') as is_solved,
    -- calendar hours, not business hours (DECISIONLOG "Support metrics"); null until it happened
    {{ support_hours('created_at', 'first_reply_at') }} as first_reply_hours,
    {{ support_hours('created_at', 'solved_at') }} as resolution_hours,
    has_requester_email,
    _batch_id,
    _loaded_at
from renamed
