-- Every response's score lies inside the scale of its survey_type:
-- NPS 0-10, CSAT 1-5, CES 1-7. Fails with each response outside its scale.
with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

scales as (

    select
        response_id,
        survey_type,
        score,
        case survey_type
            when 'nps' then 0
            when 'csat' then 1
            when 'ces' then 1
        end as scale_min,
        case survey_type
            when 'nps' then 10
            when 'csat' then 5
            when 'ces' then 7
        end as scale_max
    from responses

)

select
    response_id,
    survey_type,
    score,
    scale_min,
    scale_max
from scales
where
    score < scale_min
    or score > scale_max
