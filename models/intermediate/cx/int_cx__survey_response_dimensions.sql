with

responses as (

    select * from {{ ref('int_cx__survey_responses') }}

),

dimensions as (

    select 'overall' as dimension
    union all
    select 'segment' as dimension
    union all
    select 'touchpoint' as dimension
    union all
    select 'region' as dimension

),

response_dimensions as (

    select
        responses.response_id,
        responses.survey_type,
        responses.response_month,
        dimensions.dimension,
        responses.score,
        responses.nps_class,
        responses.is_csat_satisfied,
        responses.is_ces_high_effort,
        case dimensions.dimension
            when 'overall' then 'all'
            when 'segment' then coalesce(responses.segment, 'unknown')
            when 'touchpoint' then coalesce(responses.touchpoint, 'unknown')
            when 'region' then coalesce(responses.region, 'unknown')
        end as dimension_value

    from responses
    cross join dimensions

)

select
    response_id,
    survey_type,
    response_month,
    dimension,
    dimension_value,
    score,
    nps_class,
    is_csat_satisfied,
    is_ces_high_effort
from response_dimensions
