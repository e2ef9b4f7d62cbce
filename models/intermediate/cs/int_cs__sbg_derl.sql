{#-
    The DERL lookup cs_clv joins: the sBG model's discounted expected residual lifetime per
    fitted segment and month of tenure. The model is built by dbt Python models on DuckDB only
    (dbt_project.yml, DECISIONLOG "sBG retention model"); on PostgreSQL and Spark this is an
    empty table of the same columns, so cs_clv, its joins and its unit tests are the same SQL
    on every engine (its model-based columns are null there).
-#}
{% if target.type == 'duckdb' %}

    select
        cast(segment as {{ dbt.type_string() }}) as segment,
        cast(period as {{ dbt.type_bigint() }}) as tenure_months,
        cast(derl_months as {{ dbt.type_float() }}) as derl_months
    from {{ ref('int_cs__sbg_periods') }}

{% else %}

select
    cast(null as {{ dbt.type_string() }}) as segment,
    cast(null as {{ dbt.type_bigint() }}) as tenure_months,
    cast(null as {{ dbt.type_float() }}) as derl_months
from (select 1 as one) as no_model  -- Spark has no FROM-less WHERE
where 1 = 0

{% endif %}
