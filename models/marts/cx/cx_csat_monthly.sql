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
        sum(case when is_csat_satisfied then 1 else 0 end) as satisfied,
        sum(score) as score_sum
    from response_dimensions
    where survey_type = 'csat'
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
        cast(coalesce(monthly_counts.responses, 0) as {{ dbt.type_bigint() }}) as responses,
        cast(coalesce(monthly_counts.satisfied, 0) as {{ dbt.type_bigint() }}) as satisfied,
        {{ cx_pct('monthly_counts.satisfied', 'monthly_counts.responses') }} as csat_pct,
        {{ cx_mean('monthly_counts.score_sum', 'monthly_counts.responses') }} as csat_mean

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
    satisfied,
    csat_pct,
    csat_mean
from final
