with

scores as (

    select * from {{ ref('int_churn__scores') }}

),

final as (

    select
        *,
        case
            when churn_probability_90d >= {{ var('churn_risk_high_min_probability') }} then 'high'
            when churn_probability_90d >= {{ var('churn_risk_medium_min_probability') }} then 'medium'
            else 'low'
        end as risk_band
    from scores

)

select
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(observed_on as date) as as_of_date,
    cast(churn_probability_90d as {{ dbt.type_float() }}) as churn_probability_90d,
    cast(risk_band as {{ dbt.type_string() }}) as risk_band,
    cast(driver_1 as {{ dbt.type_string() }}) as driver_1,
    cast(driver_1_contribution as {{ dbt.type_float() }}) as driver_1_contribution,
    cast(driver_2 as {{ dbt.type_string() }}) as driver_2,
    cast(driver_2_contribution as {{ dbt.type_float() }}) as driver_2_contribution,
    cast(driver_3 as {{ dbt.type_string() }}) as driver_3,
    cast(driver_3_contribution as {{ dbt.type_float() }}) as driver_3_contribution,
    cast(model_version as {{ dbt.type_string() }}) as model_version
from final
