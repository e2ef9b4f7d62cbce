with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

invitations as (

    select * from {{ ref('stg_survey__invitations') }}

),

accounts as (

    select * from {{ ref('stg_billing__accounts') }}

),

classified as (

    select
        responses.response_id,
        responses.invitation_id,
        responses.survey_id,
        responses.survey_type,
        responses.touchpoint,
        responses.account_id,
        responses.contact_id,
        responses.score,
        case
            when responses.survey_type <> 'nps' then null
            when responses.score >= 9 then 'promoter'
            when responses.score >= 7 then 'passive'
            else 'detractor'
        end as nps_class,
        case
            when responses.survey_type = 'csat' then responses.score >= 4
        end as is_csat_satisfied,
        case
            when responses.survey_type = 'ces' then responses.score >= 5
        end as is_ces_high_effort,
        invitations.invitation_id is not null as is_invited,
        invitations.sent_at as invitation_sent_at,
        responses.responded_at,
        cast(responses.responded_at as date) as response_date,
        cast({{ dbt.date_trunc('month', 'responses.responded_at') }} as date) as response_month,
        accounts.account_id is not null as is_known_account,
        accounts.segment,
        accounts.region

    from responses
    left join invitations
        on responses.invitation_id = invitations.invitation_id
    left join accounts
        on responses.account_id = accounts.account_id

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
from classified
