with

evaluation as (

    select * from {{ ref('int_churn__evaluation') }}

)

select
    cast(scope as {{ dbt.type_string() }}) as scope,
    cast(evaluation_month as date) as evaluation_month,
    cast(scorer as {{ dbt.type_string() }}) as scorer,
    cast(decile as {{ dbt.type_int() }}) as decile,
    cast(accounts as {{ dbt.type_bigint() }}) as accounts,  -- noqa: RF04
    cast(churned as {{ dbt.type_bigint() }}) as churned,
    cast(auc as {{ dbt.type_float() }}) as auc,
    cast(brier as {{ dbt.type_float() }}) as brier,
    cast(top_decile_lift as {{ dbt.type_float() }}) as top_decile_lift,
    cast(mean_predicted as {{ dbt.type_float() }}) as mean_predicted,
    cast(observed_rate as {{ dbt.type_float() }}) as observed_rate,
    cast(observed_rate_standard_error as {{ dbt.type_float() }}) as observed_rate_standard_error
from evaluation
