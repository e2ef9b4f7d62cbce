with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

trial_versions as (

    select
        subscription_id,
        account_id,
        valid_from,
        valid_to
    from subscriptions
    where is_trial

),

-- A trial is the trial period of one subscription: all its trial versions (an extended
-- trial is a new version, not a new trial). It ends when its last trial version ends;
-- while a trial version is still open (valid_to null) the trial has no end yet.
trials as (

    select
        subscription_id,
        account_id,
        min(valid_from) as trial_start_date,
        case
            when count(*) = count(valid_to) then max(valid_to)
        end as trial_end_date
    from trial_versions
    group by 1, 2

),

paid_versions as (

    select
        account_id,
        valid_from
    from subscriptions
    where not is_trial

),

-- Converted: a paid (non-trial) version of the same account, of any subscription, starts
-- on or after the trial start and at most 30 days after the trial end.
conversions as (

    select
        trials.subscription_id,
        min(paid_versions.valid_from) as first_paid_date
    from trials
    inner join paid_versions
        on
            trials.account_id = paid_versions.account_id
            and trials.trial_start_date <= paid_versions.valid_from
            and (
                trials.trial_end_date is null
                or cast({{ dbt.dateadd('day', 30, 'trials.trial_end_date') }} as date) >= paid_versions.valid_from
            )
    group by 1

),

final as (

    select
        trials.subscription_id,
        trials.account_id,
        trials.trial_start_date,
        trials.trial_end_date,
        conversions.first_paid_date,
        cast({{ dbt.date_trunc('month', 'trials.trial_start_date') }} as date) as trial_start_month,
        conversions.first_paid_date is not null as is_converted

    from trials
    left join conversions
        on trials.subscription_id = conversions.subscription_id

)

select
    subscription_id,
    account_id,
    trial_start_date,
    trial_end_date,
    trial_start_month,
    first_paid_date,
    is_converted
from final
