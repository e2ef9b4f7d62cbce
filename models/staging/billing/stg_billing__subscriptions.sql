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
        -- A version still open at the end of the as-of date is open: when it closes later
        -- (valid_to after D) or is canceled later (canceled_at after D) is not known at D.
        cast(case when valid_to > {{ as_of_date() }} then null else valid_to end as date) as valid_to,
        cast(contract_end as date) as contract_end,
        cast(
            case when {{ recorded_by_as_of('canceled_at') }} then canceled_at end
            as {{ dbt.type_timestamp() }}
        ) as canceled_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        _batch_id,
        _loaded_at

    from latest
    -- The as-of cut (macros/as_of_date.sql): a version exists from the day it starts to hold.
    where valid_from <= {{ as_of_date() }}

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
