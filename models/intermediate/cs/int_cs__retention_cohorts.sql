{#-
    Survivors of every monthly acquisition cohort at the end of each month of tenure, per
    segment: the sBG fit's and the survival curves' input (DECISIONLOG "sBG retention model").
    An account's lifetime is its first paying spell: from its `new` month to its first `churn`
    month after it (a later reactivation is a new sale, not the same lifetime); accounts still
    paying at the as-of month are right-censored there.
-#}
with

movements as (

    select * from {{ ref('int_cs__account_mrr_monthly') }}

),

accounts as (

    select * from {{ ref('int_cs__accounts') }}

),

months as (

    select * from {{ ref('int_cs__months') }}

),

starts as (

    select
        account_id,
        min(month_start) as cohort_month
    from movements
    where movement_type = 'new'
    group by 1

),

first_churns as (

    select
        movements.account_id,
        min(movements.month_start) as churn_month
    from movements
    inner join starts
        on
            movements.account_id = starts.account_id
            and movements.month_start > starts.cohort_month
    where movements.movement_type = 'churn'
    group by 1

),

lifetimes as (

    select
        accounts.segment,
        starts.cohort_month,
        -- Months of tenure completed when the account churned: lost in period `churn_period`
        -- (null while it still pays).
        {{ dbt.datediff("starts.cohort_month", "first_churns.churn_month", "month") }} as churn_period  -- noqa: LT05
    from starts
    inner join accounts
        on starts.account_id = accounts.account_id
    left join first_churns
        on starts.account_id = first_churns.account_id

),

-- Every cohort's periods 0..T, T = the as-of month's period (the last one observed).
cohort_periods as (

    select distinct
        lifetimes.segment,
        lifetimes.cohort_month,
        {{ dbt.datediff("lifetimes.cohort_month", "months.month_start", "month") }} as period  -- noqa: LT05
    from lifetimes
    inner join months
        on lifetimes.cohort_month <= months.month_start

),

final as (

    select
        cohort_periods.segment,
        cohort_periods.cohort_month,
        cohort_periods.period,
        cast(sum(case
            when lifetimes.churn_period is null or lifetimes.churn_period > cohort_periods.period then 1
            else 0
        end) as {{ dbt.type_bigint() }}) as survivors
    from cohort_periods
    inner join lifetimes
        on
            cohort_periods.segment = lifetimes.segment
            and cohort_periods.cohort_month = lifetimes.cohort_month
    group by 1, 2, 3

)

select
    segment,
    cohort_month,
    period,
    survivors
from final
