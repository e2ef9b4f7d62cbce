with

source as (

    select * from {{ source('billing', 'subscriptions') }}

),

latest as (

    {{ dedupe_latest('source', ['subscription_id', 'version'], updated_at='updated_at') }}

),

renamed as (

    select
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(version as {{ dbt.type_int() }}) as version,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(lower(trim(plan_id)) as {{ dbt.type_string() }}) as plan_id,
        cast(is_trial as {{ dbt.type_boolean() }}) as is_trial,
        cast(lower(trim(billing_interval)) as {{ dbt.type_string() }}) as billing_interval,
        cast(quantity as {{ dbt.type_int() }}) as quantity,
        cast(unit_amount as decimal(18, 4)) as unit_amount,
        cast(coalesce(discount_pct, 0) as decimal(18, 4)) as discount_pct,
        cast(upper(trim(currency)) as {{ dbt.type_string() }}) as currency,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        cast(contract_end as date) as contract_end,
        cast(canceled_at as {{ dbt.type_timestamp() }}) as canceled_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        _batch_id,
        _loaded_at

    from latest

)

select
    subscription_id,
    version,
    account_id,
    plan_id,
    is_trial,
    billing_interval,
    quantity,
    unit_amount,
    discount_pct,
    currency,
    valid_from,
    valid_to,
    contract_end,
    canceled_at,
    updated_at,
    _batch_id,
    _loaded_at
from renamed
