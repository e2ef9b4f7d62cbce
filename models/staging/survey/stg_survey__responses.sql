with

source as (

    select * from {{ source('survey', 'responses') }}

),

latest as (

    {{ dedupe_latest('source', ['response_id']) }}

),

renamed as (

    select
        cast(response_id as {{ dbt.type_string() }}) as response_id,
        cast(nullif(trim(invitation_id), '') as {{ dbt.type_string() }}) as invitation_id,
        cast(survey_id as {{ dbt.type_string() }}) as survey_id,
        cast(lower(trim(survey_type)) as {{ dbt.type_string() }}) as survey_type,
        cast(lower(trim(touchpoint)) as {{ dbt.type_string() }}) as touchpoint,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(contact_id as {{ dbt.type_string() }}) as contact_id,
        cast(score as {{ dbt.type_int() }}) as score,
        cast(nullif(trim(comment), '') as {{ dbt.type_string() }}) as comment,
        cast(responded_at as {{ dbt.type_timestamp() }}) as responded_at,
        _batch_id,
        _loaded_at

    from latest
    -- The as-of cut (macros/as_of_date.sql): a response counts from the moment it was given.
    where {{ recorded_by_as_of('responded_at') }}

)

select
    response_id,
    invitation_id,
    survey_id,
    survey_type,
    touchpoint,
    account_id,
    contact_id,
    score,
    comment,
    responded_at,
    _batch_id,
    _loaded_at
from renamed
