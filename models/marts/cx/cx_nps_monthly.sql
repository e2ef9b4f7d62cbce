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
        sum(case when nps_class = 'promoter' then 1 else 0 end) as promoters,
        sum(case when nps_class = 'passive' then 1 else 0 end) as passives,
        sum(case when nps_class = 'detractor' then 1 else 0 end) as detractors
    from response_dimensions
    where survey_type = 'nps'
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
        cast(coalesce(monthly_counts.promoters, 0) as {{ dbt.type_bigint() }}) as promoters,
        cast(coalesce(monthly_counts.passives, 0) as {{ dbt.type_bigint() }}) as passives,
        cast(coalesce(monthly_counts.detractors, 0) as {{ dbt.type_bigint() }}) as detractors,
        {{ cx_nps('monthly_counts.promoters', 'monthly_counts.detractors', 'monthly_counts.responses') }} as nps,
        {{ cx_nps_moe_95('monthly_counts.promoters', 'monthly_counts.detractors', 'monthly_counts.responses') }}
            as nps_moe_95

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
    promoters,
    passives,
    detractors,
    nps,
    nps_moe_95
from final
