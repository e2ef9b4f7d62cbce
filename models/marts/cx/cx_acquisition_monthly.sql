with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

trials as (

    select * from {{ ref('int_cx__trials') }}

),

-- An account is new in the month of its first subscription start, trial or paid.
account_starts as (

    select
        account_id,
        min(valid_from) as first_subscription_date
    from subscriptions
    group by 1

),

new_accounts as (

    select
        cast({{ dbt.date_trunc('month', 'first_subscription_date') }} as date) as start_month,
        count(*) as new_accounts
    from account_starts
    group by 1

),

trial_starts as (

    select
        trial_start_month,
        count(*) as trials_started,
        sum(case when is_converted then 1 else 0 end) as trials_converted
    from trials
    group by 1

),

bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(valid_from)') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', 'max(valid_from)') }} as date) as last_month
    from subscriptions

),

-- Every month from the first to the last subscription version start.
months as (

    {{ cx_period_spine('month', 'bounds', 'first_month', 'last_month', 1200) }}

),

final as (

    select
        months.period_start as acquisition_month,
        cast(coalesce(new_accounts.new_accounts, 0) as {{ dbt.type_bigint() }}) as new_accounts,
        cast(coalesce(trial_starts.trials_started, 0) as {{ dbt.type_bigint() }}) as trials_started,
        cast(coalesce(trial_starts.trials_converted, 0) as {{ dbt.type_bigint() }}) as trials_converted,
        {{ cx_pct('trial_starts.trials_converted', 'trial_starts.trials_started') }} as trial_conversion_pct

    from months
    left join new_accounts
        on months.period_start = new_accounts.start_month
    left join trial_starts
        on months.period_start = trial_starts.trial_start_month

)

select
    -- `month` is a keyword in some dialects; the column name is fixed by the marts spec.
    acquisition_month as month,  -- noqa: RF04
    new_accounts,
    trials_started,
    trials_converted,
    trial_conversion_pct
from final
