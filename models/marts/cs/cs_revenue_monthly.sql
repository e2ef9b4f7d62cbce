with

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

months as (

    select * from {{ ref('int_cs__months') }}

),

account_retention as (

    select * from {{ ref('int_cs__account_mrr_retention') }}

),

-- Every movement twice: under the account's current segment and under the total `all`.
segment_movements as (

    select
        movements.month as month_start,
        movements.segment,
        movements.account_id,
        movements.starting_mrr,
        movements.ending_mrr,
        movements.mrr_change,
        movements.movement_type
    from movements
    union all
    select
        movements.month as month_start,
        'all' as segment,
        movements.account_id,
        movements.starting_mrr,
        movements.ending_mrr,
        movements.mrr_change,
        movements.movement_type
    from movements

),

monthly as (

    select
        month_start,
        segment,
        sum(starting_mrr) as starting_mrr,
        sum(case when movement_type = 'new' then mrr_change else 0 end) as new_mrr,
        sum(case when movement_type = 'reactivation' then mrr_change else 0 end) as reactivation_mrr,
        sum(case when movement_type = 'expansion' then mrr_change else 0 end) as expansion_mrr,
        sum(case when movement_type = 'contraction' then mrr_change else 0 end) as contraction_mrr,
        sum(case when movement_type = 'churn' then mrr_change else 0 end) as churned_mrr,
        sum(ending_mrr) as ending_mrr,
        sum(case when starting_mrr > 0 then 1 else 0 end) as starting_accounts,
        sum(case when ending_mrr > 0 then 1 else 0 end) as ending_accounts,
        sum(case when movement_type = 'churn' then 1 else 0 end) as churned_accounts
    from segment_movements
    group by 1, 2

),

-- Every account's NRR/GRR base and retained MRR (int_cs__account_mrr_retention), twice:
-- under the account's current segment and under the total `all`.
segment_retention as (

    select
        account_retention.measured_month,
        account_retention.window_months,
        account_retention.segment,
        account_retention.base_mrr,
        account_retention.retained_mrr,
        account_retention.retained_mrr_capped
    from account_retention
    union all
    select
        account_retention.measured_month,
        account_retention.window_months,
        'all' as segment,
        account_retention.base_mrr,
        account_retention.retained_mrr,
        account_retention.retained_mrr_capped
    from account_retention

),

retention as (

    select
        measured_month,
        window_months,
        segment,
        sum(base_mrr) as base_mrr,
        sum(retained_mrr) as retained_mrr,
        sum(retained_mrr_capped) as retained_mrr_capped
    from segment_retention
    group by 1, 2, 3

),

-- Every month of the spine for `all` and for every segment that ever had MRR.
segments as (

    select distinct segment from segment_movements
    union
    select 'all' as segment

),

grid as (

    select
        months.month_start,
        segments.segment
    from months
    cross join segments

),

final as (

    select
        grid.month_start,
        grid.segment,
        cast(coalesce(monthly.starting_mrr, 0) as {{ cs_money_type() }}) as starting_mrr,
        cast(coalesce(monthly.new_mrr, 0) as {{ cs_money_type() }}) as new_mrr,
        cast(coalesce(monthly.reactivation_mrr, 0) as {{ cs_money_type() }}) as reactivation_mrr,
        cast(coalesce(monthly.expansion_mrr, 0) as {{ cs_money_type() }}) as expansion_mrr,
        cast(coalesce(monthly.contraction_mrr, 0) as {{ cs_money_type() }}) as contraction_mrr,
        cast(coalesce(monthly.churned_mrr, 0) as {{ cs_money_type() }}) as churned_mrr,
        cast(coalesce(monthly.ending_mrr, 0) as {{ cs_money_type() }}) as ending_mrr,
        cast(12 * coalesce(monthly.ending_mrr, 0) as {{ cs_money_type() }}) as ending_arr,
        cast(coalesce(monthly.starting_accounts, 0) as {{ dbt.type_bigint() }}) as starting_accounts,
        cast(coalesce(monthly.ending_accounts, 0) as {{ dbt.type_bigint() }}) as ending_accounts,
        cast(coalesce(monthly.churned_accounts, 0) as {{ dbt.type_bigint() }}) as churned_accounts,
        {{ cs_pct('monthly.churned_accounts', 'monthly.starting_accounts') }} as logo_churn_pct,
        {{ cs_pct('-(monthly.churned_mrr + monthly.contraction_mrr)', 'monthly.starting_mrr') }}
            as gross_mrr_churn_pct,
        {{ cs_pct('retention_1m.retained_mrr', 'retention_1m.base_mrr') }} as nrr_1m_pct,
        {{ cs_pct('retention_1m.retained_mrr_capped', 'retention_1m.base_mrr') }} as grr_1m_pct,
        {{ cs_pct('retention_12m.retained_mrr', 'retention_12m.base_mrr') }} as nrr_12m_pct,
        {{ cs_pct('retention_12m.retained_mrr_capped', 'retention_12m.base_mrr') }} as grr_12m_pct

    from grid
    left join monthly
        on
            grid.month_start = monthly.month_start
            and grid.segment = monthly.segment
    left join retention as retention_1m
        on
            grid.month_start = retention_1m.measured_month
            and grid.segment = retention_1m.segment
            and retention_1m.window_months = 1
    left join retention as retention_12m
        on
            grid.month_start = retention_12m.measured_month
            and grid.segment = retention_12m.segment
            and retention_12m.window_months = 12

)

select
    -- `month` is a keyword in some dialects; the column name is fixed by the marts spec.
    month_start as month,  -- noqa: RF04
    segment,
    starting_mrr,
    new_mrr,
    reactivation_mrr,
    expansion_mrr,
    contraction_mrr,
    churned_mrr,
    ending_mrr,
    ending_arr,
    starting_accounts,
    ending_accounts,
    churned_accounts,
    logo_churn_pct,
    gross_mrr_churn_pct,
    nrr_1m_pct,
    grr_1m_pct,
    nrr_12m_pct,
    grr_12m_pct
from final
