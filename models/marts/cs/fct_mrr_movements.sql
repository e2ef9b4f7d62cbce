with

account_months as (

    select * from {{ ref('int_cs__account_mrr_monthly') }}

),

accounts as (

    select * from {{ ref('int_cs__accounts') }}

),

-- Account-months with MRR at either end: months with 0 at both ends (trial months, months
-- between a churn and a reactivation) are no movement and are left out.
final as (

    select
        account_months.account_id,
        account_months.month_start,
        account_months.snapshot_date,
        account_months.starting_mrr,
        account_months.ending_mrr,
        account_months.mrr_change,
        account_months.movement_type,
        coalesce(accounts.segment, 'unknown') as segment

    from account_months
    left join accounts
        on account_months.account_id = accounts.account_id
    where account_months.movement_type is not null

)

select
    account_id,
    -- `month` is a keyword in some dialects; the column name is fixed by the marts spec.
    month_start as month,  -- noqa: RF04
    segment,
    snapshot_date,
    starting_mrr,
    ending_mrr,
    mrr_change,
    movement_type
from final
