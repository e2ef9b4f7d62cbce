with

fits as (

    select * from {{ ref('int_cs__sbg_fits') }}

)

select
    cast(segment as {{ dbt.type_string() }}) as segment,
    {{ as_of_date() }} as as_of_date,
    cast(alpha as {{ dbt.type_float() }}) as alpha,
    cast(beta as {{ dbt.type_float() }}) as beta,
    -- Expected monthly churn of a new account: E[theta] = alpha / (alpha + beta).
    cast(alpha / (alpha + beta) as {{ dbt.type_float() }}) as mean_churn_probability,
    cast(log_likelihood as {{ dbt.type_float() }}) as log_likelihood,
    cast(accounts as {{ dbt.type_bigint() }}) as accounts,  -- noqa: RF04
    cast(cohorts as {{ dbt.type_bigint() }}) as cohorts,  -- noqa: RF04
    cast(periods_observed as {{ dbt.type_bigint() }}) as periods_observed,
    -- The fit describes the data as of the as-of date, not the moment the build ran.
    {{ as_of_date() }} as fitted_at,
    cast(coalesce(converged, false) as {{ dbt.type_boolean() }}) as converged,
    cast(note as {{ dbt.type_string() }}) as fit_note
from fits
