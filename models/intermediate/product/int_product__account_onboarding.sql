with

account_milestones as (

    select * from {{ ref('int_product__account_milestones') }}

),

-- Onboarding is complete when every required milestone is reached; time to value is the
-- number of days from the start to the first milestone marked is_value_moment.
summarised as (

    select
        account_id,
        started_date,
        is_observed_from_start,
        sum(case when is_required then 1 else 0 end) as required_milestones,
        sum(case when is_required and reached_at is not null then 1 else 0 end) as required_reached,
        sum(case when reached_at is not null then 1 else 0 end) as milestones_reached,
        max(case when is_required then reached_at end) as last_required_reached_at,
        min(case when is_value_moment then reached_at end) as value_moment_at,
        min(case when is_value_moment then days_to_reach end) as days_to_value
    from account_milestones
    group by 1, 2, 3

),

final as (

    select
        account_id,
        started_date,
        is_observed_from_start,
        required_milestones,
        required_reached,
        milestones_reached,
        value_moment_at,
        required_reached = required_milestones as onboarding_complete,
        case when required_reached = required_milestones then last_required_reached_at end as onboarding_completed_at,
        -- Unknown (null) when the onboarding started before the product history.
        case when is_observed_from_start then days_to_value end as time_to_value_days
    from summarised

)

select
    account_id,
    started_date,
    is_observed_from_start,
    cast(required_milestones as {{ dbt.type_int() }}) as required_milestones,
    cast(required_reached as {{ dbt.type_int() }}) as required_reached,
    cast(milestones_reached as {{ dbt.type_int() }}) as milestones_reached,
    onboarding_complete,
    onboarding_completed_at,
    value_moment_at,
    cast(time_to_value_days as {{ dbt.type_int() }}) as time_to_value_days
from final
