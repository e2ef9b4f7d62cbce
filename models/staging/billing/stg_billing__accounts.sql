with

source as (

    select * from {{ source('billing', 'accounts') }}

),

latest as (

    {{ dedupe_latest('source', ['account_id'], updated_at='updated_at') }}

),

renamed as (

    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(trim(account_name) as {{ dbt.type_string() }}) as account_name,
        cast(lower(trim(segment)) as {{ dbt.type_string() }}) as segment,
        cast(nullif(trim(industry), '') as {{ dbt.type_string() }}) as industry,
        cast(nullif(upper(trim(region)), '') as {{ dbt.type_string() }}) as region,
        cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        _batch_id,
        _loaded_at

    from latest
    -- The as-of cut (macros/as_of_date.sql): an account exists from its creation (a correction
    -- written later is still its latest version: DECISIONLOG "What as-of D means").
    where {{ recorded_by_as_of('created_at') }}

)

select
    account_id,
    account_name,
    segment,
    industry,
    region,
    created_at,
    updated_at,
    _batch_id,
    _loaded_at
from renamed
