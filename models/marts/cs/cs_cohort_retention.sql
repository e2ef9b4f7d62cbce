with

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

months as (

    select * from {{ ref('int_cs__months') }}

),

-- Cohort of an account: the month of its first MRR (its one `new` movement); its starting
-- MRR is the MRR at the end of that month.
cohort_members as (

    select
        account_id,
        month as cohort_month,
        ending_mrr as starting_mrr
    from movements
    where movement_type = 'new'

),

cohorts as (

    select
        cohort_month,
        count(*) as cohort_accounts,
        sum(starting_mrr) as cohort_starting_mrr
    from cohort_members
    group by 1

),

-- Month-end MRR of the cohort's accounts in every later month (accounts without a movement
-- row in a month had 0 at both ends and count as not retained).
cohort_activity as (

    select
        cohort_members.cohort_month,
        movements.month as month_start,
        sum(case when movements.ending_mrr > 0 then 1 else 0 end) as retained_accounts,
        sum(movements.ending_mrr) as mrr
    from cohort_members
    inner join movements
        on cohort_members.account_id = movements.account_id
    group by 1, 2

),

final as (

    select
        cohorts.cohort_month,
        cast(
            {{ dbt.datediff('cohorts.cohort_month', 'months.month_start', 'month') }}
            as {{ dbt.type_int() }}
        ) as months_since_start,
        months.month_start,
        cast(cohorts.cohort_accounts as {{ dbt.type_bigint() }}) as cohort_accounts,
        cast(coalesce(cohort_activity.retained_accounts, 0) as {{ dbt.type_bigint() }}) as retained_accounts,
        {{ cs_pct('coalesce(cohort_activity.retained_accounts, 0)', 'cohorts.cohort_accounts') }}
            as logo_retention_pct,
        cast(cohorts.cohort_starting_mrr as {{ cs_money_type() }}) as cohort_starting_mrr,
        cast(coalesce(cohort_activity.mrr, 0) as {{ cs_money_type() }}) as mrr,
        {{ cs_pct('coalesce(cohort_activity.mrr, 0)', 'cohorts.cohort_starting_mrr') }} as revenue_retention_pct

    from cohorts
    inner join months
        on cohorts.cohort_month <= months.month_start
    left join cohort_activity
        on
            cohorts.cohort_month = cohort_activity.cohort_month
            and months.month_start = cohort_activity.month_start

)

select
    cohort_month,
    months_since_start,
    month_start as month,  -- noqa: RF04
    cohort_accounts,
    retained_accounts,
    logo_retention_pct,
    cohort_starting_mrr,
    mrr,
    revenue_retention_pct
from final
