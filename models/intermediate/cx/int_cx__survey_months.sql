with

responses as (

    select * from {{ ref('stg_survey__responses') }}

),

invitations as (

    select * from {{ ref('stg_survey__invitations') }}

),

survey_activity as (

    select responses.responded_at as activity_at
    from responses
    union all
    select invitations.sent_at as activity_at
    from invitations

),

bounds as (

    select
        cast({{ dbt.date_trunc('month', 'min(survey_activity.activity_at)') }} as date) as first_month,
        cast({{ dbt.date_trunc('month', 'max(survey_activity.activity_at)') }} as date) as last_month
    from survey_activity

),

months as (

    -- At most 1200 months (100 years) of survey history.
    {{ cx_period_spine('month', 'bounds', 'first_month', 'last_month', 1200) }}

)

select months.period_start as month_start
from months
