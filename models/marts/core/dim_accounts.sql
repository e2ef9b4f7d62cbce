with

accounts as (

    select * from {{ ref('stg_billing__accounts') }}

),

cs_accounts as (

    select * from {{ ref('int_cs__accounts') }}

),

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

first_subscriptions as (

    select
        account_id,
        min(valid_from) as first_subscription_at,
        min(case when not is_trial then valid_from end) as first_paid_at,
        count(*) as versions
    from versions
    group by 1

),

final as (

    select
        cs_accounts.account_id,
        accounts.account_name,
        cs_accounts.segment,
        accounts.industry,
        accounts.region,
        accounts.created_at,
        first_subscriptions.first_subscription_at,
        first_subscriptions.first_paid_at,
        cs_accounts.is_known_account,
        coalesce(
            first_subscriptions.versions > 0 and first_subscriptions.first_paid_at is null, false
        ) as is_trial_only
    from cs_accounts
    left join accounts
        on cs_accounts.account_id = accounts.account_id
    left join first_subscriptions
        on cs_accounts.account_id = first_subscriptions.account_id

)

select
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(account_name as {{ dbt.type_string() }}) as account_name,
    cast(segment as {{ dbt.type_string() }}) as segment,
    cast(industry as {{ dbt.type_string() }}) as industry,
    cast(region as {{ dbt.type_string() }}) as region,
    cast(created_at as {{ dbt.type_timestamp() }}) as created_at,
    cast(first_subscription_at as date) as first_subscription_at,
    cast(first_paid_at as date) as first_paid_at,
    is_trial_only,
    is_known_account
from final
