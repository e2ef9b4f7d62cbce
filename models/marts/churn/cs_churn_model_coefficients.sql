with

model as (

    select * from {{ ref('int_churn__model') }}

)

select
    cast(model_version as {{ dbt.type_string() }}) as model_version,
    cast(term as {{ dbt.type_string() }}) as term,
    cast(coefficient as {{ dbt.type_float() }}) as coefficient,
    cast(mean as {{ dbt.type_float() }}) as feature_mean,
    cast(scale as {{ dbt.type_float() }}) as feature_scale,
    cast(platt_slope as {{ dbt.type_float() }}) as platt_slope,
    cast(platt_intercept as {{ dbt.type_float() }}) as platt_intercept,
    cast(fit_rows as {{ dbt.type_bigint() }}) as fit_rows,
    cast(calibration_rows as {{ dbt.type_bigint() }}) as calibration_rows,
    cast(trained_through as date) as trained_through,
    cast(cutoff as date) as fitted_at,
    cast(fingerprint as {{ dbt.type_string() }}) as training_fingerprint,
    cast(note as {{ dbt.type_string() }}) as note
from model
