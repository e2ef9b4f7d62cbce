{#-
    The body of a monthly survey mart (cx_nps_monthly, cx_csat_monthly, cx_ces_monthly): one
    row per month and dimension value of one survey type, `overall` in every month of survey
    activity, other dimension values where they have responses. The three marts differ only
    in what they count and publish, so that is all a model passes:
      aggregates  [(name, aggregate over int_cx__survey_response_dimensions)] per month and value
      columns     [(name, expression over monthly_counts.<aggregate> and .responses)] published
                  after `responses`, in order (a month without responses has null scores,
                  0 counts: see cx_count and macros/cx/cx_metrics.sql)
-#}
{% macro cx_survey_monthly(survey_type, aggregates, columns) -%}
with

survey_months as (

    select * from {{ ref('int_cx__survey_months') }}

),

response_dimensions as (

    select * from {{ ref('int_cx__survey_response_dimensions') }}

),

monthly_counts as (

    select
        response_month,
        dimension,
        dimension_value,
        count(*) as responses,
        {%- for name, aggregate in aggregates %}
        {{ aggregate }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from response_dimensions
    where survey_type = '{{ survey_type }}'
    group by 1, 2, 3

),

-- `overall` in every month of survey activity; other dimension values where they have responses.
published_rows as (

    select
        month_start as response_month,
        'overall' as dimension,
        'all' as dimension_value
    from survey_months
    union
    select
        response_month,
        dimension,
        dimension_value
    from monthly_counts

),

final as (

    select
        published_rows.response_month,
        published_rows.dimension,
        published_rows.dimension_value,
        {{ cx_count('monthly_counts.responses') }} as responses,
        {%- for name, expression in columns %}
        {{ expression }} as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from published_rows
    left join monthly_counts
        on
            published_rows.response_month = monthly_counts.response_month
            and published_rows.dimension = monthly_counts.dimension
            and published_rows.dimension_value = monthly_counts.dimension_value

)

select
    -- `month` is a keyword in some dialects; the column name is fixed by the marts spec.
    response_month as month,  -- noqa: RF04
    dimension,
    dimension_value,
    responses,
    {%- for name, expression in columns %}
    {{ name }}{{ ',' if not loop.last }}
    {%- endfor %}
from final
{%- endmacro %}

{#- A count of a month and dimension value: 0 (not null) without responses, bigint. -#}
{% macro cx_count(count) -%}
    cast(coalesce({{ count }}, 0) as {{ dbt.type_bigint() }})
{%- endmacro %}
