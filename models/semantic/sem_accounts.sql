-- The account dimension of the semantic layer: what metrics are grouped by as account__*.
-- Grain: one row per account any CX or CS mart reports on (every account of dim_accounts,
-- plus accounts only seen in survey responses). segment and region use the marts' own
-- conventions (the current billing values, `unknown` when billing does not know the account
-- or gives no region), so a metric grouped by account__segment or account__region returns
-- the same groups as the long-form marts. plan is the plan of the account's latest paid
-- subscription version that started by the as-of date (the current plan of a paying
-- account, the last plan of a churned one; `none` for trial-only or unknown accounts).
with

dim_accounts as (

    select * from {{ ref('dim_accounts') }}

),

survey_responses as (

    select * from {{ ref('fct_survey_responses') }}

),

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

plans as (

    select * from {{ ref('plans') }}

),

account_ids as (

    select account_id from dim_accounts
    union
    select account_id from survey_responses
    where account_id is not null

),

-- Latest paid version per account; ties on the start day go to the higher MRR, then plan.
ranked_paid_versions as (

    select
        versions.account_id,
        versions.plan_id,
        row_number() over (
            partition by versions.account_id
            order by versions.valid_from desc, versions.mrr desc, versions.plan_id asc
        ) as version_rank
    from versions
    -- Only versions started by the as-of date reach here (stg_billing__subscriptions).
    where not versions.is_trial

),

latest_plans as (

    select
        account_id,
        plan_id
    from ranked_paid_versions
    where version_rank = 1

),

final as (

    select
        account_ids.account_id,
        coalesce(dim_accounts.segment, 'unknown') as segment,
        coalesce(dim_accounts.region, 'unknown') as region,
        coalesce(dim_accounts.industry, 'unknown') as industry,
        coalesce(latest_plans.plan_id, 'none') as plan_id,
        coalesce(plans.plan_name, 'none') as plan_name

    from account_ids
    left join dim_accounts
        on account_ids.account_id = dim_accounts.account_id
    left join latest_plans
        on account_ids.account_id = latest_plans.account_id
    left join plans
        on latest_plans.plan_id = plans.plan_id

)

select
    account_id,
    segment,
    region,
    industry,
    plan_id,
    plan_name
from final
