{#-
    The days the learned churn risk (cs_churn_risk) is in band `high`, for the playbook alert
    churn_risk_high. The churn model is built by dbt Python models on DuckDB only
    (dbt_project.yml, DECISIONLOG "Learned churn risk"); on PostgreSQL and Spark this is an
    empty relation of the same columns, so int_health__alert_candidates, its unit tests and
    cs_playbook_alerts are the same SQL on every engine (no churn_risk_high alert there).
    Ephemeral: a step of the alert candidates, not a relation of its own.
-#}
{{ config(materialized='ephemeral') }}

{% if target.type == 'duckdb' %}

    select
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(as_of_date as date) as date_day,
        cast(churn_probability_90d as {{ dbt.type_float() }}) as churn_probability_90d,
        cast(driver_1 as {{ dbt.type_string() }}) as driver_1
    from {{ ref('cs_churn_risk') }}
    where risk_band = 'high'

{% else %}

select
    cast(null as {{ dbt.type_string() }}) as account_id,
    cast(null as date) as date_day,
    cast(null as {{ dbt.type_float() }}) as churn_probability_90d,
    cast(null as {{ dbt.type_string() }}) as driver_1
from (select 1 as one) as no_model  -- Spark has no FROM-less WHERE
where 1 = 0

{% endif %}
