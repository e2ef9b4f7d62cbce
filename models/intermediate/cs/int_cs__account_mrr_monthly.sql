with

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

months as (

    select * from {{ ref('int_cs__months') }}

),

-- Each account's first subscription month: the month of its first version, trial or paid.
first_months as (

    select
        account_id,
        cast({{ dbt.date_trunc('month', 'min(valid_from)') }} as date) as first_month
    from versions
    group by 1

),

-- Account x month spine: every month from the first subscription month to the as-of month,
-- without gaps (also through trial months and months between a churn and a reactivation).
spine as (

    select
        first_months.account_id,
        months.month_start,
        months.snapshot_date
    from first_months
    inner join months
        on first_months.first_month <= months.month_start

),

-- Month-end snapshot: the non-trial versions in force at the end of the snapshot day.
active_mrr as (

    select
        spine.account_id,
        spine.month_start,
        sum(versions.mrr) as mrr
    from spine
    inner join versions
        on
            spine.account_id = versions.account_id
            and not versions.is_trial
            and {{ cs_is_in_force('versions', 'spine.snapshot_date') }}
    group by 1, 2

),

account_months as (

    select
        spine.account_id,
        spine.month_start,
        spine.snapshot_date,
        cast(coalesce(active_mrr.mrr, 0) as {{ cs_money_type() }}) as ending_mrr
    from spine
    left join active_mrr
        on
            spine.account_id = active_mrr.account_id
            and spine.month_start = active_mrr.month_start

),

-- Each account's first month ending with MRR > 0: a later return from 0 is a reactivation.
first_paid_months as (

    select
        account_id,
        min(month_start) as first_paid_month
    from account_months
    where ending_mrr > 0
    group by 1

),

-- Previous month-end MRR (0 before the first month) and whether an earlier month end had MRR.
with_history as (

    select
        account_months.account_id,
        account_months.month_start,
        account_months.snapshot_date,
        account_months.ending_mrr,
        cast(coalesce(
            lag(account_months.ending_mrr) over (
                partition by account_months.account_id
                order by account_months.month_start
            ),
            0
        ) as {{ cs_money_type() }}) as starting_mrr,
        coalesce(first_paid_months.first_paid_month < account_months.month_start, false) as had_mrr_before
    from account_months
    left join first_paid_months
        on account_months.account_id = first_paid_months.account_id

),

final as (

    select
        account_id,
        month_start,
        snapshot_date,
        starting_mrr,
        ending_mrr,
        cast(ending_mrr - starting_mrr as {{ cs_money_type() }}) as mrr_change,
        had_mrr_before,
        case
            when starting_mrr = 0 and ending_mrr > 0 and not had_mrr_before then 'new'
            when starting_mrr = 0 and ending_mrr > 0 then 'reactivation'
            when starting_mrr > 0 and ending_mrr = 0 then 'churn'
            when starting_mrr > 0 and ending_mrr > starting_mrr then 'expansion'
            when starting_mrr > 0 and ending_mrr < starting_mrr then 'contraction'
            when starting_mrr > 0 then 'flat'
        end as movement_type
    from with_history

)

select
    account_id,
    month_start,
    snapshot_date,
    starting_mrr,
    ending_mrr,
    mrr_change,
    had_mrr_before,
    movement_type
from final
