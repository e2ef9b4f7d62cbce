with

projection as (

    select * from {{ ref('int_cs__sbg_periods') }}

),

-- The observed retention is the Kaplan-Meier curve of cs_survival_curves (one rule, one place).
observed as (

    select * from {{ ref('cs_survival_curves') }}
    where breakdown in ('all', 'segment')

),

final as (

    select
        projection.segment,
        projection.period,
        projection.projected_survival as projected_retention,
        observed.accounts_at_risk,
        observed.accounts_lost,
        case when projection.period = 0 then 1.0 else observed.survival end as observed_retention
    from projection
    left join observed
        on
            projection.segment = observed.breakdown_value
            and projection.period = observed.period

)

select
    cast(segment as {{ dbt.type_string() }}) as segment,
    {{ as_of_date() }} as as_of_date,
    cast(period as {{ dbt.type_bigint() }}) as period,
    cast(observed_retention as {{ dbt.type_float() }}) as observed_retention,
    cast(round(projected_retention, 6) as {{ dbt.type_float() }}) as projected_retention,
    cast(accounts_at_risk as {{ dbt.type_bigint() }}) as accounts_at_risk,
    cast(accounts_lost as {{ dbt.type_bigint() }}) as accounts_lost
from final
