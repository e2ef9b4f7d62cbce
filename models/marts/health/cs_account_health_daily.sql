{#-
    Incremental on DuckDB and PostgreSQL (a table on Spark): each run deletes and rebuilds the
    days on or after health_daily_cutoff (macros/health/health_incremental.sql): the first
    day the events rollup or the usage mart rewrote since the last build, or the day after
    the last one; every day when billing, survey or support batches, the project's models or
    seeds changed. A row depends on its own day's inputs only, so no context days are read.
-#}
{{
    config(
        pre_hook="{{ delete_rebuilt_rows('date') }}",
        post_hook="{{ mark_rebuild_completed() }}",
        **replace_days_mart_config('date')
    )
}}

{%- set input_state = health_input_state(ref('int_health__parameters')) %}
{%- set cutoff = health_daily_cutoff(this, input_state) if is_incremental() else none %}
{%- do record_rebuilt_from(cutoff, input_state) %}

with

account_days as (

    select * from {{ ref('int_health__account_days') }}
    {%- if cutoff is not none %}
    where date_day >= {{ cutoff }}
    {%- endif %}

),

usage as (

    select * from {{ ref('product_usage_daily') }}
    {%- if cutoff is not none %}
    where date >= {{ cutoff }}
    {%- endif %}

),

sentiment as (

    select * from {{ ref('int_cx__account_sentiment_daily') }}
    {%- if cutoff is not none %}
    where as_of_date >= {{ cutoff }}
    {%- endif %}

),

billing as (

    select * from {{ ref('int_health__billing_daily') }}
    {%- if cutoff is not none %}
    where date_day >= {{ cutoff }}
    {%- endif %}

),

support as (

    select * from {{ ref('int_support__account_daily') }}
    {%- if cutoff is not none %}
    where date_day >= {{ cutoff }}
    {%- endif %}

),

-- The first day any ticket is known: from then on an account without a ticket has none urgent
-- open and no bad rating (a fact); before it, or without support data, support is missing.
support_start as (

    select min(date_day) as first_day from {{ ref('int_support__account_daily') }}

),

account_milestones as (

    select * from {{ ref('int_product__account_milestones') }}

),

parameters as (

    select * from {{ ref('int_health__parameters') }}

),

-- The population: every day an account pays (MRR > 0) or is in trial.
scored_days as (

    select
        account_id,
        date_day,
        is_trial,
        tenure_days,
        first_invoice_date,
        -- During a trial the trial's seats stand in for licensed seats.
        case when is_trial then trial_seats else licensed_seats end as seats
    from account_days
    where is_paying or is_trial

),

required_milestones as (

    select
        account_id,
        is_observed_from_start,
        reached_date
    from account_milestones
    where is_required

),

onboarding_by_day as (

    select
        scored_days.account_id,
        scored_days.date_day,
        max(case when required_milestones.is_observed_from_start then 1 else 0 end) as is_observed,
        count(*) as required_milestones,
        sum(
            case when required_milestones.reached_date <= scored_days.date_day then 1 else 0 end
        ) as required_reached
    from scored_days
    inner join required_milestones
        on scored_days.account_id = required_milestones.account_id
    group by 1, 2

),

signals as (

    select
        scored_days.account_id,
        scored_days.date_day,
        scored_days.is_trial,
        scored_days.tenure_days,
        usage.mau,
        scored_days.seats,
        case
            when scored_days.seats > 0 and usage.is_30d_observed then 100.0 * usage.mau / scored_days.seats
        end as seat_utilisation_pct,
        case when usage.is_30d_observed then usage.stickiness end as stickiness,
        usage.active_user_days_30d,
        usage.active_user_days_prev_30d,
        case when usage.is_30d_observed then usage.feature_breadth_pct end as feature_breadth_pct,
        case
            when
                sentiment.latest_nps_responded_at is not null
                and cast(sentiment.latest_nps_responded_at as date)
                >= cast({{ dbt.dateadd('day', -179, 'scored_days.date_day') }} as date)
                then sentiment.latest_nps_class
        end as nps_class_180d,
        sentiment.csat_180d_pct,
        sentiment.ces_180d_mean,
        scored_days.first_invoice_date is not null
        and scored_days.first_invoice_date <= scored_days.date_day as has_billing_history,
        coalesce(billing.max_days_past_due, 0) as max_days_past_due,
        -- An account without tickets has none urgent open and no bad rating (a fact), once the
        -- warehouse knows any ticket; before that (or with no support source) support is missing
        case
            when support_start.first_day <= scored_days.date_day then coalesce(support.open_urgent_tickets, 0)
        end as open_urgent_tickets,
        case
            when support_start.first_day <= scored_days.date_day then coalesce(support.bad_ratings_30d, 0)
        end as bad_ratings_30d,
        case
            when onboarding_by_day.is_observed = 1 and onboarding_by_day.required_milestones > 0
                then 100.0 * onboarding_by_day.required_reached / onboarding_by_day.required_milestones
        end as onboarding_progress_pct
    from scored_days
    left join usage
        on
            scored_days.account_id = usage.account_id
            and scored_days.date_day = usage.date
    left join sentiment
        on
            scored_days.account_id = sentiment.account_id
            and scored_days.date_day = sentiment.as_of_date
    left join billing
        on
            scored_days.account_id = billing.account_id
            and scored_days.date_day = billing.date_day
    cross join support_start
    left join support
        on
            scored_days.account_id = support.account_id
            and scored_days.date_day = support.date_day
    left join onboarding_by_day
        on
            scored_days.account_id = onboarding_by_day.account_id
            and scored_days.date_day = onboarding_by_day.date_day

),

-- Parts of each component, 0-100; null where the signal is missing.
parts as (

    select
        signals.*,
        case
            when signals.seat_utilisation_pct is not null
                then {{ health_scale('signals.seat_utilisation_pct', 'parameters.usage_seat_utilisation_target_pct') }}
        end as seat_part,
        case
            when signals.stickiness is not null
                then {{ health_scale('signals.stickiness', 'parameters.usage_stickiness_target') }}
        end as stickiness_part,
        case
            when signals.active_user_days_prev_30d is null then null
            when signals.active_user_days_prev_30d = 0
                then case when signals.active_user_days_30d > 0 then 100 else 0 end
            else {{ health_scale('signals.active_user_days_30d', 'signals.active_user_days_prev_30d') }}
        end as trend_part,
        case
            when signals.feature_breadth_pct is not null
                then {{ health_scale('signals.feature_breadth_pct', 'parameters.adoption_breadth_target_pct') }}
        end as adoption_part,
        case signals.nps_class_180d
            when 'promoter' then parameters.sentiment_promoter_score
            when 'passive' then parameters.sentiment_passive_score
            when 'detractor' then parameters.sentiment_detractor_score
        end as nps_part,
        signals.csat_180d_pct as csat_part,
        case when signals.ces_180d_mean is not null then 100.0 * (7 - signals.ces_180d_mean) / 6 end as ces_part,
        case
            when signals.has_billing_history
                then
                    100.0 - {{ health_scale('signals.max_days_past_due', 'parameters.billing_days_past_due_for_zero') }}
        end as billing_part,
        {{ health_scale('signals.tenure_days', 'parameters.lifecycle_tenure_days_for_full') }} as tenure_part,
        -- 100 with nothing urgent open (no bad rating), 0 at the parameter's count; null (part
        -- missing) without support data or when the parameter is not positive
        100.0 - {{ health_scale('signals.open_urgent_tickets', 'parameters.support_open_urgent_for_zero') }}
            as urgent_part,
        100.0 - {{ health_scale('signals.bad_ratings_30d', 'parameters.support_bad_ratings_for_zero') }}
            as bad_ratings_part,
        parameters.support_urgent_share,
        parameters.usage_seat_utilisation_share,
        parameters.usage_stickiness_share,
        parameters.sentiment_detractor_cap,
        parameters.lifecycle_onboarding_share
    from signals
    cross join parameters

),

components as (

    select
        account_id,
        date_day,
        is_trial,
        seat_utilisation_pct,
        stickiness,
        active_user_days_30d,
        active_user_days_prev_30d,
        feature_breadth_pct,
        nps_class_180d,
        csat_180d_pct,
        ces_180d_mean,
        max_days_past_due,
        onboarding_progress_pct,
        tenure_days,
        open_urgent_tickets,
        bad_ratings_30d,
        {{ health_round(health_weighted_mean([
            ('seat_part', 'usage_seat_utilisation_share'),
            ('stickiness_part', 'usage_stickiness_share'),
            ('trend_part', '(1 - usage_seat_utilisation_share - usage_stickiness_share)'),
        ])) }} as usage_score,
        {{ health_round('adoption_part') }} as adoption_score,
        {{ health_round(health_weighted_mean([('nps_part', '1'), ('csat_part', '1'), ('ces_part', '1')])) }}
            as sentiment_mean,
        {{ health_round('billing_part') }} as billing_score,
        {{ health_round(health_weighted_mean([
            ('onboarding_progress_pct', 'lifecycle_onboarding_share'),
            ('tenure_part', '(1 - lifecycle_onboarding_share)'),
        ])) }} as lifecycle_score,
        {{ health_round(health_weighted_mean([
            ('urgent_part', 'support_urgent_share'),
            ('bad_ratings_part', '(1 - support_urgent_share)'),
        ])) }} as support_score,
        sentiment_detractor_cap
    from parts

),

-- A detractor caps sentiment, as the detractor playbook would.
capped as (

    select
        components.*,
        case
            when
                components.nps_class_180d = 'detractor'
                and components.sentiment_mean > components.sentiment_detractor_cap
                then {{ health_round('sentiment_detractor_cap') }}
            else components.sentiment_mean
        end as sentiment_score
    from components

),

-- Weighted mean of the components present: a missing component's weight is re-distributed
-- over the others (sum of weight * score / sum of the weights present).
totals as (

    select
        capped.*,
        {{ health_round(health_weighted_mean([
            ('capped.usage_score', 'parameters.usage_weight'),
            ('capped.adoption_score', 'parameters.adoption_weight'),
            ('capped.sentiment_score', 'parameters.sentiment_weight'),
            ('capped.billing_score', 'parameters.billing_weight'),
            ('capped.lifecycle_score', 'parameters.lifecycle_weight'),
            ('capped.support_score', 'parameters.support_weight'),
        ])) }} as health_score,
        parameters.band_green_min,
        parameters.band_yellow_min
    from capped
    cross join parameters

),

final as (

    select
        *,
        case
            when health_score >= band_green_min then 'green'
            when health_score >= band_yellow_min then 'yellow'
            when health_score is not null then 'red'
        end as health_band
    from totals

)

select
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(date_day as date) as date,  -- noqa: RF04
    health_score,
    cast(health_band as {{ dbt.type_string() }}) as health_band,
    usage_score,
    adoption_score,
    sentiment_score,
    billing_score,
    lifecycle_score,
    is_trial,
    {{ round_decimal('seat_utilisation_pct', 2) }} as seat_utilisation_pct,
    stickiness,
    cast(active_user_days_30d as {{ dbt.type_int() }}) as active_user_days_30d,
    cast(active_user_days_prev_30d as {{ dbt.type_int() }}) as active_user_days_prev_30d,
    feature_breadth_pct,
    cast(nps_class_180d as {{ dbt.type_string() }}) as latest_nps_class_180d,
    csat_180d_pct,
    ces_180d_mean,
    cast(max_days_past_due as {{ dbt.type_int() }}) as max_days_past_due,
    {{ round_decimal('onboarding_progress_pct', 2) }} as onboarding_progress_pct,
    cast(tenure_days as {{ dbt.type_int() }}) as tenure_days,
    support_score,
    cast(open_urgent_tickets as {{ dbt.type_int() }}) as open_urgent_tickets,
    cast(bad_ratings_30d as {{ dbt.type_int() }}) as bad_support_ratings_30d
from final
