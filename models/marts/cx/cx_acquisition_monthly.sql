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

-- A trial is resolved once it converted, or once its conversion window (trial end + 30 days,
-- that day included; int_cx__trials) has ended by the as-of date. A trial without an end
-- date is still running: unresolved.
trial_starts as (

    select
        trial_start_month,
        count(*) as trials_started,
        sum(case when is_converted then 1 else 0 end) as trials_converted,
        sum(case
            when is_converted then 0
            when
                trial_end_date is not null
                and cast({{ dbt.dateadd('day', 30, 'trial_end_date') }} as date) <= {{ as_of_date() }}
                then 0
            else 1
        end) as trials_unresolved
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

-- A month's trial cohort is closed when the month has ended by the as-of date (no trial can
-- still start in it) and none of its trials is unresolved: only then is its conversion rate
-- final. An open cohort's rate would only rise (a 0.0% for a month whose trials are all still
-- running), so it is not published.
cohorts as (

    select
        months.period_start as acquisition_month,
        coalesce(trial_starts.trials_started, 0) as trials_started,
        coalesce(trial_starts.trials_converted, 0) as trials_converted,
        (
            {{ dbt.last_day('months.period_start', 'month') }} <= {{ as_of_date() }}
            and coalesce(trial_starts.trials_unresolved, 0) = 0
        ) as is_trial_cohort_closed
    from months
    left join trial_starts
        on months.period_start = trial_starts.trial_start_month

),

final as (

    select
        cohorts.acquisition_month,
        cast(coalesce(new_accounts.new_accounts, 0) as {{ dbt.type_bigint() }}) as new_accounts,
        cast(cohorts.trials_started as {{ dbt.type_bigint() }}) as trials_started,
        cast(cohorts.trials_converted as {{ dbt.type_bigint() }}) as trials_converted,
        case
            when cohorts.is_trial_cohort_closed
                then {{ cx_pct('cohorts.trials_converted', 'cohorts.trials_started') }}
        end as trial_conversion_pct,
        cohorts.is_trial_cohort_closed

    from cohorts
    left join new_accounts
        on cohorts.acquisition_month = new_accounts.start_month

)

select
    -- `month` is a keyword in some dialects; the column name is fixed by the marts spec.
    acquisition_month as month,  -- noqa: RF04
    new_accounts,
    trials_started,
    trials_converted,
    trial_conversion_pct,
    is_trial_cohort_closed
from final
