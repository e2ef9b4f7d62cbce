with

survey_months as (

    select * from {{ ref('int_cx__survey_months') }}

),

invitations as (

    select * from {{ ref('stg_survey__invitations') }}

),

responses as (

    select * from {{ ref('int_cx__survey_responses') }}

),

-- Invitations answered by at least one response (in-app responses have no invitation).
answered_invitations as (

    select distinct invitation_id
    from responses
    where is_invited

),

invitation_outcomes as (

    select
        invitations.invitation_id,
        invitations.survey_type,
        cast({{ dbt.date_trunc('month', 'invitations.sent_at') }} as date) as sent_month,
        case when answered_invitations.invitation_id is not null then 1 else 0 end as is_answered

    from invitations
    left join answered_invitations
        on invitations.invitation_id = answered_invitations.invitation_id

),

monthly_counts as (

    select
        sent_month,
        survey_type,
        count(*) as invitations,
        sum(is_answered) as responses_to_invitations
    from invitation_outcomes
    group by 1, 2

),

survey_types as (

    select survey_type from invitations
    union
    select survey_type from responses

),

-- Every survey type in every month of survey activity.
published_rows as (

    select
        survey_months.month_start as sent_month,
        survey_types.survey_type
    from survey_months
    cross join survey_types

),

final as (

    select
        published_rows.sent_month,
        published_rows.survey_type,
        cast(coalesce(monthly_counts.invitations, 0) as {{ dbt.type_bigint() }}) as invitations,
        cast(coalesce(monthly_counts.responses_to_invitations, 0) as {{ dbt.type_bigint() }})
            as responses_to_invitations,
        {{ cx_pct('monthly_counts.responses_to_invitations', 'monthly_counts.invitations') }} as response_rate_pct

    from published_rows
    left join monthly_counts
        on
            published_rows.sent_month = monthly_counts.sent_month
            and published_rows.survey_type = monthly_counts.survey_type

)

select
    -- `month` is a keyword in some dialects; the column name is fixed by the marts spec.
    sent_month as month,  -- noqa: RF04
    survey_type,
    invitations,
    responses_to_invitations,
    response_rate_pct
from final
