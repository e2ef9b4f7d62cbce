with

source as (

    select * from {{ source('survey', 'invitations') }}

),

latest as (

    {{ dedupe_latest('source', ['invitation_id']) }}

),

renamed as (

    select
        cast(invitation_id as {{ dbt.type_string() }}) as invitation_id,
        cast(survey_id as {{ dbt.type_string() }}) as survey_id,
        cast(lower(trim(survey_type)) as {{ dbt.type_string() }}) as survey_type,
        cast(lower(trim(touchpoint)) as {{ dbt.type_string() }}) as touchpoint,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(sent_at as {{ dbt.type_timestamp() }}) as sent_at,
        _batch_id,
        _loaded_at

    from latest
    -- The as-of cut (macros/as_of_date.sql): an invitation exists from the moment it was sent.
    where {{ recorded_by_as_of('sent_at') }}

)

select
    invitation_id,
    survey_id,
    survey_type,
    touchpoint,
    account_id,
    contact_id,
    sent_at,
    _batch_id,
    _loaded_at
from renamed
