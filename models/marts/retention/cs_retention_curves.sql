with

cohorts as (

    select * from {{ ref('int_cs__retention_cohorts') }}

),

projection as (

    select * from {{ ref('int_cs__sbg_periods') }}

),

-- `all` and every segment: the cohorts' survivors per period, with the previous period's.
segment_counts as (

    select
        segment,
        cohort_month,
        period,
        survivors
    from cohorts
    union all
    select
        'all' as segment,
        cohort_month,
        period,
        sum(survivors) as survivors
    from cohorts
    group by 2, 3

),

steps as (

    select
        segment,
        period,
        sum(prev_survivors) as at_risk,
        sum(prev_survivors - survivors) as lost
    from (
        select
            segment,
            period,
            survivors,
            lag(survivors) over (partition by segment, cohort_month order by period) as prev_survivors
        from segment_counts
    ) as lagged
    where period > 0
    group by 1, 2

),

-- Observed retention: Kaplan-Meier over the cohorts (each period's conditional survival
-- lost / at_risk among the cohorts observed that long; the younger ones are censored), the
-- product of the steps as exp(sum(ln)); 0 from the first period that lost everyone left.
observed as (

    select
        segment,
        period,
        at_risk,
        lost,
        case
            when sum(case when lost = at_risk then 1 else 0 end) over (
                partition by segment order by period rows between unbounded preceding and current row
            ) > 0 then 0.0
            -- (ln only of a positive factor: the zero step is the case above)
            else exp(sum(case
                when lost < at_risk then ln(1.0 - cast(lost as {{ dbt.type_float() }}) / at_risk) else 0.0
            end) over (
                partition by segment order by period rows between unbounded preceding and current row
            ))
        end as observed_retention
    from steps
    where at_risk > 0

),

final as (

    select
        projection.segment,
        projection.period,
        projection.projected_survival as projected_retention,
        observed.at_risk,
        observed.lost,
        case when projection.period = 0 then 1.0 else observed.observed_retention end as observed_retention
    from projection
    left join observed
        on
            projection.segment = observed.segment
            and projection.period = observed.period

)

select
    cast(segment as {{ dbt.type_string() }}) as segment,
    {{ as_of_date() }} as as_of_date,
    cast(period as {{ dbt.type_bigint() }}) as period,
    cast(round(observed_retention, 6) as {{ dbt.type_float() }}) as observed_retention,
    cast(round(projected_retention, 6) as {{ dbt.type_float() }}) as projected_retention,
    cast(at_risk as {{ dbt.type_bigint() }}) as accounts_at_risk,
    cast(lost as {{ dbt.type_bigint() }}) as accounts_lost
from final
