{#-
    Incremental on DuckDB and PostgreSQL (a table on Spark: replace_days_mart_config). Each
    run rebuilds every day on or after product_usage_cutoff (the first day the events rollup
    rewrote since the mart's last build, or the day after the mart's last day, moved earlier
    to the first day whose billing seats or account span changed) with delete+insert
    on the day, reading 59 more days of activity before it as the trailing windows' context.
    A day's values depend only on its trailing 60 days and the account's first day, so the
    rebuilt days equal a full rebuild's (tests_py/test_adoption_health.py).
-#}
{{
    config(
        pre_hook="{{ delete_rebuilt_rows('date') }}",
        post_hook="{{ mark_rebuild_completed() }}",
        **replace_days_mart_config('date')
    )
}}

{%- set cutoff = none %}
{%- if is_incremental() %}
    {%- set cutoff = product_usage_cutoff(this, ref('int_health__account_days'), ref('key_features')) %}
{%- endif %}
{%- do record_rebuilt_from(cutoff) %}
{%- set context_start = 'cast(' ~ dbt.dateadd('day', -59, cutoff) ~ ' as date)' if cutoff is not none else none %}

with

activity as (

    select * from {{ ref('int_product__activity_daily') }}

),

account_days as (

    select * from {{ ref('int_health__account_days') }}

),

days as (

    select * from {{ ref('int_product__days') }}

),

key_feature_days as (

    select * from {{ ref('int_product__key_feature_days') }}

),

key_features as (

    select * from {{ ref('key_features') }}

),

user_days as (

    select
        account_id,
        user_id,
        activity_date,
        events
    from activity
    where
        rollup_level = 'user'
    {%- if context_start is not none %}
        and activity_date >= {{ context_start }}
    {%- endif %}

),

-- In an incremental run, only the trailing 60 days of the first rebuilt day onwards.
recent_key_feature_days as (

    select * from key_feature_days
    {%- if context_start is not none %}
    where activity_date >= {{ context_start }}
    {%- endif %}

),

first_activity as (

    select
        account_id,
        min(activity_date) as first_day
    from activity
    where rollup_level = 'user'
    group by 1

),

account_activity as (

    select
        account_id,
        activity_date,
        count(*) as dau,
        sum(events) as events
    from user_days
    group by 1, 2

),

key_feature_count as (

    select count(*) as key_features
    from key_features

),

-- Each account's usage series starts on its first subscription day or first event, whichever
-- comes first (never before the product history starts), and runs to the as-of date.
account_first_days as (

    select
        account_id,
        min(first_day) as first_day
    from (
        select
            account_id,
            min(date_day) as first_day
        from account_days
        group by 1
        union all
        select
            account_id,
            first_day
        from first_activity
    ) as firsts
    group by 1

),

history as (

    select min(date_day) as history_start_date
    from days

),

spine as (

    select
        account_first_days.account_id,
        days.date_day,
        -- Days from the account's first day, that day being day 1.
        {{ dbt.datediff(
            'account_first_days.first_day', 'days.date_day', 'day'
        ) }} + 1 as days_observed
    from account_first_days
    inner join days
        on account_first_days.first_day <= days.date_day
    {%- if context_start is not none %}
    where days.date_day >= {{ context_start }}
    {%- endif %}

),

-- Distinct users active in the trailing 7 and 30 days, and key features used in the trailing
-- 30 days: +1 when a coverage starts, -1 when it ends; running sums over the spine.
user_coverage_7d as (

    {{ trailing_window_coverage('user_days', 'account_id', 'user_id', 'activity_date', 7) }}

),

user_coverage_30d as (

    {{ trailing_window_coverage('user_days', 'account_id', 'user_id', 'activity_date', 30) }}

),

feature_coverage_30d as (

    {{ trailing_window_coverage('recent_key_feature_days', 'account_id', 'feature', 'activity_date', 30) }}

),

deltas as (

    select
        account_id,
        covered_from as date_day,
        1 as wau_delta,
        0 as mau_delta,
        0 as feature_delta
    from user_coverage_7d
    union all
    select
        account_id,
        covered_until as date_day,
        -1 as wau_delta,
        0 as mau_delta,
        0 as feature_delta
    from user_coverage_7d
    union all
    select
        account_id,
        covered_from as date_day,
        0 as wau_delta,
        1 as mau_delta,
        0 as feature_delta
    from user_coverage_30d
    union all
    select
        account_id,
        covered_until as date_day,
        0 as wau_delta,
        -1 as mau_delta,
        0 as feature_delta
    from user_coverage_30d
    union all
    select
        account_id,
        covered_from as date_day,
        0 as wau_delta,
        0 as mau_delta,
        1 as feature_delta
    from feature_coverage_30d
    union all
    select
        account_id,
        covered_until as date_day,
        0 as wau_delta,
        0 as mau_delta,
        -1 as feature_delta
    from feature_coverage_30d

),

daily_deltas as (

    select
        account_id,
        date_day,
        sum(wau_delta) as wau_delta,
        sum(mau_delta) as mau_delta,
        sum(feature_delta) as feature_delta
    from deltas
    group by 1, 2

),

daily as (

    select
        spine.account_id,
        spine.date_day,
        spine.days_observed,
        coalesce(account_activity.dau, 0) as dau,
        coalesce(account_activity.events, 0) as events,
        coalesce(daily_deltas.wau_delta, 0) as wau_delta,
        coalesce(daily_deltas.mau_delta, 0) as mau_delta,
        coalesce(daily_deltas.feature_delta, 0) as feature_delta,
        coalesce(account_days.licensed_seats, 0) as licensed_seats
    from spine
    left join account_activity
        on
            spine.account_id = account_activity.account_id
            and spine.date_day = account_activity.activity_date
    left join daily_deltas
        on
            spine.account_id = daily_deltas.account_id
            and spine.date_day = daily_deltas.date_day
    left join account_days
        on
            spine.account_id = account_days.account_id
            and spine.date_day = account_days.date_day

),

-- The spine is dense from the account's first day (in an incremental run, from 59 days
-- before the cutoff), so N rows = N calendar days and every window below is complete on the
-- days kept.
windowed as (

    select
        account_id,
        date_day,
        days_observed,
        dau,
        events,
        licensed_seats,
        sum(wau_delta) over running as wau,
        sum(mau_delta) over running as mau,
        sum(feature_delta) over running as key_features_used_30d,
        count(*) over last_30_days as days_in_window_30d,
        sum(dau) over last_30_days as active_user_days_30d,
        sum(dau) over previous_30_days as active_user_days_prev_30d
    from daily
    window
        running as (
            partition by account_id
            order by date_day
            rows between unbounded preceding and current row
        ),
        last_30_days as (
            partition by account_id
            order by date_day
            rows between 29 preceding and current row
        ),
        previous_30_days as (
            partition by account_id
            order by date_day
            rows between 59 preceding and 30 preceding
        )

),

final as (

    select
        windowed.account_id,
        windowed.date_day,
        windowed.dau,
        windowed.wau,
        windowed.mau,
        windowed.events,
        windowed.licensed_seats,
        {{ cs_pct('windowed.mau', 'windowed.licensed_seats') }} as seat_utilisation_pct,
        case
            -- (sum of dau / days in the window) / mau as ONE quotient of integers, rounded once:
            -- an avg() of a decimal is itself rounded on some engines (Spark: to 4 more
            -- decimals), and rounding twice can move a value across a rounding tie.
            when windowed.mau > 0
                then {{ round_decimal(
                    '1.0 * windowed.active_user_days_30d / (windowed.days_in_window_30d * windowed.mau)', 4, 5
                ) }}
        end as stickiness,
        windowed.active_user_days_30d,
        case when windowed.days_observed >= 60 then windowed.active_user_days_prev_30d end as active_user_days_prev_30d,
        windowed.key_features_used_30d,
        key_feature_count.key_features,
        {{ cs_pct('windowed.key_features_used_30d', 'key_feature_count.key_features') }} as feature_breadth_pct,
        windowed.days_observed,
        -- The trailing 30 days are fully observed unless they reach back before the product
        -- history of an account that already existed when the history starts.
        windowed.days_observed >= 30 or spine_starts.first_day > history.history_start_date as is_30d_observed
    from windowed
    cross join key_feature_count
    cross join history
    inner join account_first_days as spine_starts
        on windowed.account_id = spine_starts.account_id
    {%- if cutoff is not none %}
    where windowed.date_day >= {{ cutoff }}
    {%- endif %}

)

select
    cast(account_id as {{ dbt.type_string() }}) as account_id,
    cast(date_day as date) as date,  -- noqa: RF04
    cast(dau as {{ dbt.type_int() }}) as dau,
    cast(wau as {{ dbt.type_int() }}) as wau,
    cast(mau as {{ dbt.type_int() }}) as mau,
    cast(events as {{ dbt.type_bigint() }}) as events,
    cast(licensed_seats as {{ dbt.type_int() }}) as licensed_seats,
    seat_utilisation_pct,
    stickiness,
    cast(active_user_days_30d as {{ dbt.type_int() }}) as active_user_days_30d,
    cast(active_user_days_prev_30d as {{ dbt.type_int() }}) as active_user_days_prev_30d,
    cast(key_features_used_30d as {{ dbt.type_int() }}) as key_features_used_30d,
    cast(key_features as {{ dbt.type_int() }}) as key_features,
    feature_breadth_pct,
    cast(days_observed as {{ dbt.type_int() }}) as days_observed,
    is_30d_observed
from final
