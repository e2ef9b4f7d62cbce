{#- Response x theme of the CX team's taxonomy (issue 17 §3): one row per theme a comment
    mentions (int_cx__comment_scores matched them; its `themes` is '|'-delimited at both ends,
    so a portable LIKE finds one theme without matching another that contains its name). -#}
with

scores as (

    select * from {{ ref('int_cx__comment_scores') }}
    where themes is not null

),

taxonomy as (

    select * from {{ ref('cx_theme_taxonomy') }}

),

responses as (

    select * from {{ ref('int_cx__survey_responses') }}

)

select
    scores.response_id,
    taxonomy.theme,
    responses.responded_at,
    responses.response_month,
    responses.survey_type,
    responses.touchpoint,
    responses.account_id,
    responses.segment,
    responses.nps_class,
    cast(scores.sentiment_score as decimal(5, 4)) as sentiment_score,
    scores.sentiment_label
from scores
inner join taxonomy
    on scores.themes like {{ dbt.concat(["'%|'", 'taxonomy.theme', "'|%'"]) }}
inner join responses on scores.response_id = responses.response_id
