with

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

accounts as (

    select * from {{ ref('int_cs__accounts') }}

),

account_health as (

    select * from {{ ref('cs_account_health_daily') }}

),

-- The paid version of each subscription in force on the as-of date (the highest version
-- should two overlap); trials are not renewals.
in_force as (

    select
        versions.subscription_id,
        versions.version,
        versions.account_id,
        versions.plan_id,
        versions.billing_interval,
        versions.contract_end,
        versions.canceled_at,
        versions.mrr,
        row_number() over (
            partition by versions.subscription_id
            order by versions.version desc
        ) as version_rank
    from versions
    where
        not versions.is_trial
        and {{ cs_is_in_force('versions', as_of_date()) }}

),

-- Each account's latest health day up to the as-of date (the as-of date itself for an account
-- paying then, as every account with a renewal is), and its band on that day.
latest_health_days as (

    select
        account_health.account_id,
        max(account_health.date) as health_date
    from account_health
    where account_health.date <= {{ as_of_date() }}
    group by 1

),

current_health as (

    select
        account_health.account_id,
        account_health.health_band
    from account_health
    inner join latest_health_days
        on
            account_health.account_id = latest_health_days.account_id
            and account_health.date = latest_health_days.health_date

),

-- Up for renewal: the current term ends within the next 90 days (as-of date included).
final as (

    select
        in_force.subscription_id,
        in_force.account_id,
        coalesce(accounts.segment, 'unknown') as segment,
        in_force.plan_id,
        in_force.billing_interval,
        in_force.contract_end,
        cast(
            {{ dbt.datediff(as_of_date(), 'in_force.contract_end', 'day') }}
            as {{ dbt.type_int() }}
        ) as days_to_renewal,
        cast(in_force.mrr as {{ cs_money_type() }}) as mrr,
        cast(12 * in_force.mrr as {{ cs_money_type() }}) as arr_up_for_renewal,
        in_force.canceled_at is not null as is_cancellation_requested,
        -- Null when the account has no health row (e.g. no product history).
        cast(current_health.health_band as {{ dbt.type_string() }}) as health_band,
        {{ as_of_date() }} as as_of_date

    from in_force
    left join accounts
        on in_force.account_id = accounts.account_id
    left join current_health
        on in_force.account_id = current_health.account_id
    where
        in_force.version_rank = 1
        and in_force.contract_end >= {{ as_of_date() }}
        and in_force.contract_end <= cast({{ dbt.dateadd('day', 90, as_of_date()) }} as date)

)

select
    subscription_id,
    account_id,
    segment,
    plan_id,
    billing_interval,
    contract_end,
    days_to_renewal,
    mrr,
    arr_up_for_renewal,
    is_cancellation_requested,
    health_band,
    as_of_date
from final
