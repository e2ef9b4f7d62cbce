{{ config(materialized='table') }}

with

responses as (

    select * from {{ ref('int_cx__survey_responses') }}

),

as_of as (

    select {{ as_of_date() }} as as_of_date

),

-- Responses up to the as-of date: stg_survey__responses holds no later one (a response after
-- it is not known yet "as of" that day).
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

-- Change points: a response day adds its counts to every window it falls in, and they
-- leave again when the window has passed them: NPS counts on the response day and the 89
-- days after it (90 days), CSAT and CES counts for 180 days. Summing the changes up to a
-- day gives that day's trailing-window totals without a 90- or 180-row window frame over
-- every account and day (a running sum over the few change points instead).
window_changes as (

    select
        account_id,
        response_date as change_date,
        nps_responses,
        nps_promoters,
        nps_passives,
        nps_detractors,
        csat_responses,
        csat_satisfied,
        csat_score_sum,
        ces_responses,
        ces_high_effort,
        ces_score_sum,
        case when nps_responses > 0 then response_date end as nps_response_date
    from account_response_days

    union all

    select
        account_id,
        cast({{ dbt.dateadd('day', 90, 'response_date') }} as date) as change_date,
        -nps_responses as nps_responses,
        -nps_promoters as nps_promoters,
        -nps_passives as nps_passives,
        -nps_detractors as nps_detractors,
        0 as csat_responses,
        0 as csat_satisfied,
        0 as csat_score_sum,
        0 as ces_responses,
        0 as ces_high_effort,
        0 as ces_score_sum,
        cast(null as date) as nps_response_date
    from account_response_days
    where nps_responses > 0

    union all

    select
        account_id,
        cast({{ dbt.dateadd('day', 180, 'response_date') }} as date) as change_date,
        0 as nps_responses,
        0 as nps_promoters,
        0 as nps_passives,
        0 as nps_detractors,
        -csat_responses as csat_responses,
        -csat_satisfied as csat_satisfied,
        -csat_score_sum as csat_score_sum,
        -ces_responses as ces_responses,
        -ces_high_effort as ces_high_effort,
        -ces_score_sum as ces_score_sum,
        cast(null as date) as nps_response_date
    from account_response_days
    where csat_responses + ces_responses > 0

),

change_points as (

    select
        window_changes.account_id,
        window_changes.change_date,
        sum(window_changes.nps_responses) as nps_responses,
        sum(window_changes.nps_promoters) as nps_promoters,
        sum(window_changes.nps_passives) as nps_passives,
        sum(window_changes.nps_detractors) as nps_detractors,
        sum(window_changes.csat_responses) as csat_responses,
        sum(window_changes.csat_satisfied) as csat_satisfied,
        sum(window_changes.csat_score_sum) as csat_score_sum,
        sum(window_changes.ces_responses) as ces_responses,
        sum(window_changes.ces_high_effort) as ces_high_effort,
        sum(window_changes.ces_score_sum) as ces_score_sum,
        max(window_changes.nps_response_date) as nps_response_date
    from window_changes
    cross join as_of
    where window_changes.change_date <= as_of.as_of_date
    group by 1, 2

),

-- The totals in force from each change point up to (not including) the next one; the
-- last holds up to the as-of date.
windowed_periods as (

    select
        change_points.account_id,
        change_points.change_date as valid_from,
        coalesce(
            lead(change_points.change_date) over account_changes,
            cast({{ dbt.dateadd('day', 1, 'as_of.as_of_date') }} as date)
        ) as valid_to,
        cast(sum(change_points.nps_responses) over changes_so_far as {{ dbt.type_bigint() }}) as nps_responses_90d,
        cast(sum(change_points.nps_promoters) over changes_so_far as {{ dbt.type_bigint() }}) as nps_promoters_90d,
        cast(sum(change_points.nps_passives) over changes_so_far as {{ dbt.type_bigint() }}) as nps_passives_90d,
        cast(sum(change_points.nps_detractors) over changes_so_far as {{ dbt.type_bigint() }}) as nps_detractors_90d,
        cast(sum(change_points.csat_responses) over changes_so_far as {{ dbt.type_bigint() }}) as csat_responses_180d,
        cast(sum(change_points.csat_satisfied) over changes_so_far as {{ dbt.type_bigint() }}) as csat_satisfied_180d,
        cast(sum(change_points.csat_score_sum) over changes_so_far as {{ dbt.type_bigint() }}) as csat_score_sum_180d,
        cast(sum(change_points.ces_responses) over changes_so_far as {{ dbt.type_bigint() }}) as ces_responses_180d,
        cast(sum(change_points.ces_high_effort) over changes_so_far as {{ dbt.type_bigint() }}) as ces_high_effort_180d,
        cast(sum(change_points.ces_score_sum) over changes_so_far as {{ dbt.type_bigint() }}) as ces_score_sum_180d,
        max(change_points.nps_response_date) over changes_so_far as latest_nps_date
    from change_points
    cross join as_of
    window
        account_changes as (
            partition by change_points.account_id
            order by change_points.change_date
        ),
        changes_so_far as (
            partition by change_points.account_id
            order by change_points.change_date
            rows between unbounded preceding and current row
        )

),

-- The published measures of each period, computed once per period (not once per day).
period_measures as (

    select
        windowed_periods.account_id,
        windowed_periods.valid_from,
        windowed_periods.valid_to,
        windowed_periods.nps_responses_90d,
        windowed_periods.nps_promoters_90d,
        windowed_periods.nps_passives_90d,
        windowed_periods.nps_detractors_90d,
        {{ cx_nps(
            'windowed_periods.nps_promoters_90d',
            'windowed_periods.nps_detractors_90d',
            'windowed_periods.nps_responses_90d',
        ) }} as nps_90d,
        last_nps_of_day.score as latest_nps_score,
        last_nps_of_day.nps_class as latest_nps_class,
        last_nps_of_day.responded_at as latest_nps_responded_at,
        windowed_periods.csat_responses_180d,
        windowed_periods.csat_satisfied_180d,
        {{ cx_pct('windowed_periods.csat_satisfied_180d', 'windowed_periods.csat_responses_180d') }}
            as csat_180d_pct,
        {{ cx_mean('windowed_periods.csat_score_sum_180d', 'windowed_periods.csat_responses_180d') }}
            as csat_180d_mean,
        windowed_periods.ces_responses_180d,
        windowed_periods.ces_high_effort_180d,
        {{ cx_mean('windowed_periods.ces_score_sum_180d', 'windowed_periods.ces_responses_180d') }}
            as ces_180d_mean,
        {{ cx_pct('windowed_periods.ces_high_effort_180d', 'windowed_periods.ces_responses_180d') }}
            as ces_180d_high_effort_pct
    from windowed_periods
    left join last_nps_of_day
        on
            windowed_periods.account_id = last_nps_of_day.account_id
            and windowed_periods.latest_nps_date = last_nps_of_day.response_date

),

bounds as (

    select
        min(period_measures.valid_from) as first_date,
        min(as_of.as_of_date) as last_date
    from period_measures
    cross join as_of

),

days as (

    -- At most 36600 days (100 years) from the first response to the as-of date.
    {{ cx_period_spine('day', 'bounds', 'first_date', 'last_date', 36600) }}

),

-- Every day of every account from its first response to the as-of date, with the
-- measures of the period it falls in.
final as (

    select
        period_measures.account_id,
        days.period_start as as_of_date,
        period_measures.nps_responses_90d,
        period_measures.nps_promoters_90d,
        period_measures.nps_passives_90d,
        period_measures.nps_detractors_90d,
        period_measures.nps_90d,
        period_measures.latest_nps_score,
        period_measures.latest_nps_class,
        period_measures.latest_nps_responded_at,
        period_measures.csat_responses_180d,
        period_measures.csat_satisfied_180d,
        period_measures.csat_180d_pct,
        period_measures.csat_180d_mean,
        period_measures.ces_responses_180d,
        period_measures.ces_high_effort_180d,
        period_measures.ces_180d_mean,
        period_measures.ces_180d_high_effort_pct,
        days.period_start = as_of.as_of_date as is_latest
    from period_measures
    cross join as_of
    inner join days
        on
            period_measures.valid_from <= days.period_start
            and period_measures.valid_to > days.period_start

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
