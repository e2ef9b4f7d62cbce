{{ config(materialized='table') }}

with

responses as (

    select * from {{ ref('int_cx__survey_responses') }}

),

as_of as (

    select {{ cx_as_of_date() }} as as_of_date

),

-- Responses up to the as-of date (a response after it is not known yet "as of" that day).
scored_responses as (

    select
        responses.account_id,
        responses.response_id,
        responses.survey_type,
        responses.score,
        responses.nps_class,
        responses.is_csat_satisfied,
        responses.is_ces_high_effort,
        responses.responded_at,
        responses.response_date
    from responses
    cross join as_of
    where responses.response_date <= as_of.as_of_date

),

account_response_days as (

    select
        account_id,
        response_date,
        sum(case when survey_type = 'nps' then 1 else 0 end) as nps_responses,
        sum(case when nps_class = 'promoter' then 1 else 0 end) as nps_promoters,
        sum(case when nps_class = 'passive' then 1 else 0 end) as nps_passives,
        sum(case when nps_class = 'detractor' then 1 else 0 end) as nps_detractors,
        sum(case when survey_type = 'csat' then 1 else 0 end) as csat_responses,
        sum(case when is_csat_satisfied then 1 else 0 end) as csat_satisfied,
        sum(case when survey_type = 'csat' then score else 0 end) as csat_score_sum,
        sum(case when survey_type = 'ces' then 1 else 0 end) as ces_responses,
        sum(case when is_ces_high_effort then 1 else 0 end) as ces_high_effort,
        sum(case when survey_type = 'ces' then score else 0 end) as ces_score_sum
    from scored_responses
    group by 1, 2

),

-- The last NPS response of each account and day (latest responded_at, then response_id).
ranked_nps_responses as (

    select
        account_id,
        response_date,
        score,
        nps_class,
        responded_at,
        row_number() over (
            partition by account_id, response_date
            order by responded_at desc, response_id desc
        ) as rank_in_day
    from scored_responses
    where survey_type = 'nps'

),

last_nps_of_day as (

    select
        account_id,
        response_date,
        score,
        nps_class,
        responded_at
    from ranked_nps_responses
    where rank_in_day = 1

),

account_first_days as (

    select
        account_id,
        min(response_date) as first_response_date
    from account_response_days
    group by 1

),

bounds as (

    select
        min(account_first_days.first_response_date) as first_date,
        min(as_of.as_of_date) as last_date
    from account_first_days
    cross join as_of

),

days as (

    -- At most 36600 days (100 years) from the first response to the as-of date.
    {{ cx_period_spine('day', 'bounds', 'first_date', 'last_date', 36600) }}

),

-- Every day of every account from its first response to the as-of date: the spine is
-- dense, so a window of N rows is a window of N calendar days.
account_days as (

    select
        account_first_days.account_id,
        days.period_start as as_of_date
    from account_first_days
    inner join days
        on account_first_days.first_response_date <= days.period_start

),

filled as (

    select
        account_days.account_id,
        account_days.as_of_date,
        coalesce(account_response_days.nps_responses, 0) as nps_responses,
        coalesce(account_response_days.nps_promoters, 0) as nps_promoters,
        coalesce(account_response_days.nps_passives, 0) as nps_passives,
        coalesce(account_response_days.nps_detractors, 0) as nps_detractors,
        coalesce(account_response_days.csat_responses, 0) as csat_responses,
        coalesce(account_response_days.csat_satisfied, 0) as csat_satisfied,
        coalesce(account_response_days.csat_score_sum, 0) as csat_score_sum,
        coalesce(account_response_days.ces_responses, 0) as ces_responses,
        coalesce(account_response_days.ces_high_effort, 0) as ces_high_effort,
        coalesce(account_response_days.ces_score_sum, 0) as ces_score_sum
    from account_days
    left join account_response_days
        on
            account_days.account_id = account_response_days.account_id
            and account_days.as_of_date = account_response_days.response_date

),

windowed as (

    select
        account_id,
        as_of_date,
        sum(nps_responses) over nps_window as nps_responses_90d,
        sum(nps_promoters) over nps_window as nps_promoters_90d,
        sum(nps_passives) over nps_window as nps_passives_90d,
        sum(nps_detractors) over nps_window as nps_detractors_90d,
        sum(csat_responses) over sentiment_window as csat_responses_180d,
        sum(csat_satisfied) over sentiment_window as csat_satisfied_180d,
        sum(csat_score_sum) over sentiment_window as csat_score_sum_180d,
        sum(ces_responses) over sentiment_window as ces_responses_180d,
        sum(ces_high_effort) over sentiment_window as ces_high_effort_180d,
        sum(ces_score_sum) over sentiment_window as ces_score_sum_180d,
        max(case when nps_responses > 0 then as_of_date end) over (
            partition by account_id
            order by as_of_date
            rows between unbounded preceding and current row
        ) as latest_nps_date
    from filled
    window
        nps_window as (
            partition by account_id
            order by as_of_date
            rows between 89 preceding and current row
        ),
        sentiment_window as (
            partition by account_id
            order by as_of_date
            rows between 179 preceding and current row
        )

),

final as (

    select
        windowed.account_id,
        windowed.as_of_date,
        cast(windowed.nps_responses_90d as {{ dbt.type_bigint() }}) as nps_responses_90d,
        cast(windowed.nps_promoters_90d as {{ dbt.type_bigint() }}) as nps_promoters_90d,
        cast(windowed.nps_passives_90d as {{ dbt.type_bigint() }}) as nps_passives_90d,
        cast(windowed.nps_detractors_90d as {{ dbt.type_bigint() }}) as nps_detractors_90d,
        last_nps_of_day.score as latest_nps_score,
        last_nps_of_day.nps_class as latest_nps_class,
        last_nps_of_day.responded_at as latest_nps_responded_at,
        cast(windowed.csat_responses_180d as {{ dbt.type_bigint() }}) as csat_responses_180d,
        cast(windowed.csat_satisfied_180d as {{ dbt.type_bigint() }}) as csat_satisfied_180d,
        cast(windowed.ces_responses_180d as {{ dbt.type_bigint() }}) as ces_responses_180d,
        cast(windowed.ces_high_effort_180d as {{ dbt.type_bigint() }}) as ces_high_effort_180d,
        {{ cx_nps('windowed.nps_promoters_90d', 'windowed.nps_detractors_90d', 'windowed.nps_responses_90d') }}
            as nps_90d,
        {{ cx_pct('windowed.csat_satisfied_180d', 'windowed.csat_responses_180d') }} as csat_180d_pct,
        {{ cx_mean('windowed.csat_score_sum_180d', 'windowed.csat_responses_180d') }} as csat_180d_mean,
        {{ cx_mean('windowed.ces_score_sum_180d', 'windowed.ces_responses_180d') }} as ces_180d_mean,
        {{ cx_pct('windowed.ces_high_effort_180d', 'windowed.ces_responses_180d') }} as ces_180d_high_effort_pct,
        windowed.as_of_date = as_of.as_of_date as is_latest

    from windowed
    cross join as_of
    left join last_nps_of_day
        on
            windowed.account_id = last_nps_of_day.account_id
            and windowed.latest_nps_date = last_nps_of_day.response_date

)

select
    account_id,
    as_of_date,
    nps_responses_90d,
    nps_promoters_90d,
    nps_passives_90d,
    nps_detractors_90d,
    nps_90d,
    latest_nps_score,
    latest_nps_class,
    latest_nps_responded_at,
    csat_responses_180d,
    csat_satisfied_180d,
    csat_180d_pct,
    csat_180d_mean,
    ces_responses_180d,
    ces_high_effort_180d,
    ces_180d_mean,
    ces_180d_high_effort_pct,
    is_latest
from final
