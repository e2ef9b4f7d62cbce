{#- One row per response with a comment: the redacted text with its scores (issue 17 §3).
    The themes are the long-form mart cx_comment_themes; theme_count says how many. -#}
with

responses as (

    select * from {{ ref('int_cx__survey_responses') }}

),

comments as (

    select
        response_id,
        comment
    from {{ ref('stg_survey__responses') }}
    where comment is not null

),

scores as (

    select * from {{ ref('int_cx__comment_scores') }}

),

themes as (

    select
        response_id,
        count(*) as theme_count
    from {{ ref('cx_comment_themes') }}
    group by 1

)

select
    responses.response_id,
    responses.responded_at,
    responses.response_month,
    responses.survey_type,
    responses.touchpoint,
    responses.account_id,
    responses.segment,
    responses.score,
    responses.nps_class,
    comments.comment,
    scores.language,
    scores.sentiment_label,
    scores.method_version,
    cast(scores.sentiment_score as decimal(5, 4)) as sentiment_score,
    coalesce(themes.theme_count, 0) as theme_count
from comments
inner join responses on comments.response_id = responses.response_id
inner join scores on comments.response_id = scores.response_id
left join themes on comments.response_id = themes.response_id
