{#- The observations of the key-driver analysis (cx_key_drivers), long form: one row per
    outcome x observation x candidate driver, read by the Python model int_cx__key_driver_weights.
      nps        every NPS response of a known account: outcome = its score (0-10), signals of
                 the account's health row on the response day, themes of the response's comment
      churn_90d  the health backtest's observations (an account paying on a month start):
                 outcome = 1 when its paying spell ended within 90 days (int_health__backtest_observations,
                 one definition of churn for both), signals on that month start, themes of the
                 account's comments in the 180 days up to it
    A signal the health row lacks (no CSAT in 180 days, no row before the account's first day)
    stays null: the weights use pairwise-complete correlations (DECISIONLOG "Key drivers"). A
    theme is 1 when mentioned, else 0, for every taxonomy theme. Lives with the marts because
    it reads marts (cs_account_health_daily, cx_comment_themes). -#}
with

responses as (

    select * from {{ ref('int_cx__survey_responses') }}

),

health as (

    select * from {{ ref('cs_account_health_daily') }}

),

backtest as (

    select * from {{ ref('int_health__backtest_observations') }}

),

comment_themes as (

    select * from {{ ref('cx_comment_themes') }}

),

taxonomy as (

    select * from {{ ref('cx_theme_taxonomy') }}

),

nps_observations as (

    select
        'nps' as outcome,
        response_id as observation_id,
        account_id,
        response_date as observed_on,
        cast(score as {{ dbt.type_float() }}) as outcome_value
    from responses
    where survey_type = 'nps' and is_known_account

),

churn_observations as (

    select
        'churn_90d' as outcome,
        {{ dbt.concat(["account_id", "'|'", "cast(month_start as " ~ dbt.type_string() ~ ")"]) }} as observation_id,
        account_id,
        month_start as observed_on,
        cast(case when churned_90d then 1 else 0 end as {{ dbt.type_float() }}) as outcome_value
    from backtest

),

observations as (

    select * from nps_observations
    union all
    select * from churn_observations

),

signals as (

    select
        observations.outcome,
        observations.observation_id,
        observations.account_id,
        observations.outcome_value,
        cast(health.csat_180d_pct as {{ dbt.type_float() }}) as csat_180d_pct,
        cast(health.ces_180d_mean as {{ dbt.type_float() }}) as ces_180d_mean,
        cast(health.feature_breadth_pct as {{ dbt.type_float() }}) as feature_breadth_pct,
        cast(health.onboarding_progress_pct as {{ dbt.type_float() }}) as onboarding_progress_pct,
        cast(health.seat_utilisation_pct as {{ dbt.type_float() }}) as seat_utilisation_pct
    from observations
    left join health
        on
            observations.account_id = health.account_id
            and observations.observed_on = health.date

),

signal_drivers as (

    {%- set signal_columns = [
        ('csat_180d_pct', 'csat_ces'),
        ('ces_180d_mean', 'csat_ces'),
        ('feature_breadth_pct', 'adoption'),
        ('onboarding_progress_pct', 'onboarding'),
        ('seat_utilisation_pct', 'adoption'),
    ] %}
    {%- for column, group in signal_columns %}
        select
            outcome,
            observation_id,
            account_id,
            outcome_value,
            '{{ column }}' as driver,
            '{{ group }}' as driver_group,
            {{ column }} as driver_value
        from signals
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}

),

-- Themes a response's own comment mentions (NPS) or the account's comments of the 180 days up
-- to the month start mention (churn); distinct, as several comments can mention one theme.
theme_mentions as (

    select distinct
        'nps' as outcome,
        response_id as observation_id,
        theme
    from comment_themes
    where survey_type = 'nps'
    union all
    select distinct
        churn_observations.outcome,
        churn_observations.observation_id,
        comment_themes.theme
    from churn_observations
    inner join comment_themes
        on
            churn_observations.account_id = comment_themes.account_id
            and cast(comment_themes.responded_at as date) <= churn_observations.observed_on
            and cast(comment_themes.responded_at as date)
            > cast({{ dbt.dateadd('day', -180, 'churn_observations.observed_on') }} as date)

),

theme_drivers as (

    select
        observations.outcome,
        observations.observation_id,
        observations.account_id,
        observations.outcome_value,
        {{ dbt.concat(["'theme:'", "taxonomy.theme"]) }} as driver,
        'theme' as driver_group,
        cast(case when theme_mentions.theme is not null then 1 else 0 end as {{ dbt.type_float() }}) as driver_value
    from observations
    cross join taxonomy
    left join theme_mentions
        on
            observations.outcome = theme_mentions.outcome
            and observations.observation_id = theme_mentions.observation_id
            and taxonomy.theme = theme_mentions.theme

)

select * from signal_drivers
union all
select * from theme_drivers
