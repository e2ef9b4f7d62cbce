{#- Every delivered state of every ticket, for the support signals' day-by-day history
    (int_support__account_daily): stg_support__tickets keeps only the latest state, which
    cannot say whether a ticket solved today was open and urgent last week. Only the columns
    the daily signals read leave here (no email, no comment). The enumerations are normalised
    as in stg_support__tickets. -#}
with

source as (

    select * from {{ source('support', 'tickets') }}

),

known_by_as_of as (

    -- The as-of cut (macros/as_of_date.sql): a state written after D is unseen as of D.
    select * from source
    where {{ recorded_by_as_of('updated_at') }}

),

-- One row per (ticket, updated_at): a state re-delivered by a later batch (a re-export)
-- replaces the earlier copy, the tie-break stg_support__tickets uses too.
states as (

    {{ dedupe_latest('known_by_as_of', ['ticket_id', 'updated_at']) }}

)

select
    cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
    cast(lower(trim(status)) as {{ dbt.type_string() }}) as status,
    cast(lower(nullif(trim(priority), '')) as {{ dbt.type_string() }}) as priority,
    cast(
        coalesce(lower(nullif(trim(satisfaction_rating), '')), 'unoffered') as {{ dbt.type_string() }}
    ) as satisfaction_rating,
    cast(satisfaction_rated_at as {{ dbt.type_timestamp() }}) as satisfaction_rated_at,
    _batch_id
from states
