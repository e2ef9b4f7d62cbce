{#-
    email is personal data: it is read here only to derive has_email and is never
    selected as a column, not even in the import CTE, so nothing downstream can reach it.
-#}
with

source as (

    select
        user_id,
        account_id,
        role,
        created_at,
        _batch_id,
        _row_number,
        _loaded_at,
        coalesce(trim(email) <> '', false) as has_email
    from {{ source('product', 'users') }}

),

latest as (

    {{ dedupe_latest('source', ['user_id']) }}

),

renamed as (

    select
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(nullif(lower(trim(role)), '') as {{ dbt.type_string() }}) as role,
        cast(has_email as {{ dbt.type_boolean() }}) as has_email,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        _batch_id,
        _loaded_at

    from latest
    -- The as-of cut (macros/as_of_date.sql): a user exists from its creation.
    where {{ recorded_by_as_of('created_at') }}

)

select
    user_id,
    account_id,
    role,
    has_email,
    created_at,
    _batch_id,
    _loaded_at
from renamed
