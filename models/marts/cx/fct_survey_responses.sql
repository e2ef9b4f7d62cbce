with

responses as (

    select * from {{ ref('int_cx__survey_responses') }}

)

select
    response_id,
    invitation_id,
    survey_id,
    survey_type,
    touchpoint,
    account_id,
    contact_id,
    score,
    nps_class,
    is_csat_satisfied,
    is_ces_high_effort,
    is_invited,
    invitation_sent_at,
    responded_at,
    response_date,
    response_month,
    is_known_account,
    segment,
    region
from responses
