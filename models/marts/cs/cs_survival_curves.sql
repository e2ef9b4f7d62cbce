{#-
    Kaplan-Meier survival of the accounts' first paying spell by month of tenure, for every
    account (`all`), per segment and per acquisition cohort year, with Greenwood's 95%
    confidence interval on the log(-log) scale (the default of lifelines and of R's survival
    package: it stays within 0-1). Portable SQL (ln, exp, sqrt): built on every engine.
-#}
with

cohorts as (

    select * from {{ ref('int_cs__retention_cohorts') }}

),

grouped as (

    select
        'all' as breakdown,
        'all' as breakdown_value,
        cohort_month,
        period,
        sum(survivors) as survivors
    from cohorts
    group by 3, 4
    union all
    select
        'segment' as breakdown,
        segment as breakdown_value,
        cohort_month,
        period,
        survivors
    from cohorts
    union all
    select
        'cohort_year' as breakdown,
        cast(cast(extract(year from cohort_month) as {{ dbt.type_bigint() }}) as {{ dbt.type_string() }})
            as breakdown_value,
        cohort_month,
        period,
        sum(survivors) as survivors
    from cohorts
    group by 2, 3, 4

),

lagged as (

    select
        breakdown,
        breakdown_value,
        period,
        survivors,
        lag(survivors) over (partition by breakdown, breakdown_value, cohort_month order by period) as prev_survivors
    from grouped

),

-- Per period: accounts at risk (alive at the end of the previous period, in the cohorts
-- observed this long) and lost; the younger cohorts are censored at their last period.
steps as (

    select
        breakdown,
        breakdown_value,
        period,
        sum(prev_survivors) as at_risk,
        sum(prev_survivors - survivors) as lost
    from lagged
    where period > 0
    group by 1, 2, 3
    having sum(prev_survivors) > 0

),

-- S(t) = product of (1 - lost / at_risk) as exp(sum(ln)); 0 from the first period that lost
-- everyone at risk (ln only of positive factors). Greenwood: sum of lost / (at_risk x
-- (at_risk - lost)).
cumulative as (

    select
        breakdown,
        breakdown_value,
        period,
        at_risk,
        lost,
        sum(case when lost = at_risk then 1 else 0 end) over (
            partition by breakdown, breakdown_value order by period rows between unbounded preceding and current row
        ) as emptied,
        sum(case
            when lost < at_risk then ln(1.0 - cast(lost as {{ dbt.type_float() }}) / at_risk) else 0.0
        end) over (
            partition by breakdown, breakdown_value order by period rows between unbounded preceding and current row
        ) as log_survival,
        sum(case
            when lost < at_risk then cast(lost as {{ dbt.type_float() }}) / (at_risk * (at_risk - lost)) else 0.0
        end) over (
            partition by breakdown, breakdown_value order by period rows between unbounded preceding and current row
        ) as greenwood
    from steps

),

-- log(-log) interval: c = ln(-ln S) +- 1.96 sqrt(greenwood) / |ln S|; bounds exp(-exp(c)).
-- Where S = 1 (nobody lost yet) the interval is [1, 1]; where S = 0 it is null.
final as (

    select
        breakdown,
        breakdown_value,
        period,
        at_risk,
        lost,
        case when emptied > 0 then 0.0 else exp(log_survival) end as survival,
        case
            when emptied > 0 then null
            when log_survival = 0 then 1.0
            else exp(-exp(ln(-log_survival) + 1.96 * sqrt(greenwood) / (-log_survival)))
        end as ci_lower_95,
        case
            when emptied > 0 then null
            when log_survival = 0 then 1.0
            else exp(-exp(ln(-log_survival) - 1.96 * sqrt(greenwood) / (-log_survival)))
        end as ci_upper_95
    from cumulative

)

select
    cast(breakdown as {{ dbt.type_string() }}) as breakdown,
    cast(breakdown_value as {{ dbt.type_string() }}) as breakdown_value,
    {{ as_of_date() }} as as_of_date,
    cast(period as {{ dbt.type_bigint() }}) as period,
    cast(at_risk as {{ dbt.type_bigint() }}) as accounts_at_risk,
    cast(lost as {{ dbt.type_bigint() }}) as accounts_lost,
    {{ round_decimal('survival', 6, 9) }} as survival,
    {{ round_decimal('ci_lower_95', 6, 9) }} as ci_lower_95,
    {{ round_decimal('ci_upper_95', 6, 9) }} as ci_upper_95
from final
