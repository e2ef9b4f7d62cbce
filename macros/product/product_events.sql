{#-
    Product adoption helpers (metrics.md, Product adoption and outcomes). Portable: dbt's
    cross-database macros and ANSI SQL only (DuckDB, PostgreSQL, Spark).
-#}

{#-
    First instant the incremental events rollup recomputes: midnight (UTC) of
    max(activity_date) already in the rollup minus var events_lookback_days (default 3).
    Every event that occurred on or after it is re-read and its days are rebuilt whole, so an
    event arriving up to `events_lookback_days` days after the last day the rollup had lands
    on the day it happened, and a retry of an event already counted is counted once.

    Returned as a literal timestamp, queried once before the model runs: a literal bound on
    occurred_at is pushed through the staging view's dedupe window (partitioned by
    occurred_at, event_id) into the raw scan, which then skips every older row group. An empty
    rollup returns none (the caller reads everything). In a dbt unit test `this` is the mocked
    input (a CTE name, a string): the same cutoff is then a scalar subquery over it.
-#}
{% macro product_events_cutoff(this_relation) -%}
    {%- set lookback = var('events_lookback_days', 3) | int -%}
    {%- if this_relation is string -%}
        {{- return(
            '(select cast(' ~ dbt.dateadd('day', -lookback, 'max(activity_date)') ~ ' as '
            ~ dbt.type_timestamp() ~ ') from ' ~ this_relation ~ ')'
        ) -}}
    {%- endif -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set result = run_query(
        'select cast(' ~ dbt.dateadd('day', -lookback, 'max(activity_date)') ~ ' as date) from ' ~ this_relation
    ) -%}
    {%- set cutoff = result.columns[0].values()[0] -%}
    {%- if cutoff is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return("cast('" ~ cutoff ~ " 00:00:00' as " ~ dbt.type_timestamp() ~ ")") -}}
{%- endmacro %}

{#-
    Trailing-window coverage as +1/-1 deltas, for counting distinct entities active in the
    trailing `window_days` days on every day without a range join.

    An entity (a user, a feature) active on day a counts on days a .. a + window_days - 1.
    Each activity day opens a coverage that lasts until the entity's next activity day or
    window_days days, whichever comes first, so the coverages of one entity never overlap and
    a running sum of the deltas over a dense day series is the number of distinct entities
    active in the window ending that day.

    Arguments:
      relation         relation or CTE with one row per (partition, entity, activity day)
      partition_column column the counts are per (e.g. account_id)
      entity_column    column identifying the entity (user_id, feature)
      date_column      the activity day (a date)
      window_days      window length in days (7 for WAU, 30 for MAU)

    Returns a select of partition_column, entity_column, covered_from (first day counted),
    covered_until (first day no longer counted, exclusive).
-#}
{% macro trailing_window_coverage(relation, partition_column, entity_column, date_column, window_days) -%}
    select
        {{ partition_column }},
        {{ entity_column }},
        {{ date_column }} as covered_from,
        case
            when next_active_date is not null
                and next_active_date < cast({{ dbt.dateadd('day', window_days, date_column) }} as date)
                then next_active_date
            else cast({{ dbt.dateadd('day', window_days, date_column) }} as date)
        end as covered_until
    from (
        select
            {{ partition_column }},
            {{ entity_column }},
            {{ date_column }},
            lead({{ date_column }}) over (
                partition by {{ partition_column }}, {{ entity_column }}
                order by {{ date_column }}
            ) as next_active_date
        from {{ relation }}
    ) as activity
{%- endmacro %}

{#-
    First day the incremental product_usage_daily rebuilds (a literal date), or none when every
    day must be rebuilt. A day of the mart changes when its inputs change:
      - product activity: the events rollup rebuilds every day on or after its own cutoff (its
        last active day before this run minus var events_lookback_days). That last active day
        is the mart's last day with events, so the same cutoff is read from the mart;
      - licensed seats and account spans (billing, corrected at any time): the first day
        before that cutoff whose seats in int_health__account_days differ from the mart's, or
        that the mart has no row for (a new account, an earlier first subscription day);
      - the key_features seed: a different count rebuilds everything (edit the list with
        `dbt build --full-refresh -s product_usage_daily+`; DECISIONLOG).
    Every other input of a day lies in its trailing 60 days, which the model re-reads.
    Queried once before the model runs (run_query), like product_events_cutoff.
-#}
{% macro product_usage_cutoff(this_relation, account_days_relation, key_features_relation) -%}
    {%- set lookback = var('events_lookback_days', 3) | int -%}
    {%- if not execute or this_relation is string -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set state = run_query(
        'select cast(' ~ dbt.dateadd('day', -lookback, 'max(case when events > 0 then date end)') ~ ' as date),'
        ~ ' max(date) > ' ~ cs_as_of_date() ~ ','
        ~ ' coalesce(max(key_features), -1) <> (select count(*) from ' ~ key_features_relation ~ ')'
        ~ ' from ' ~ this_relation
    ).rows[0] -%}
    {%- set activity_cutoff, beyond_as_of, key_features_changed = state[0], state[1], state[2] -%}
    {%- if activity_cutoff is none or beyond_as_of or key_features_changed -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set cutoff_literal = "cast('" ~ activity_cutoff ~ "' as date)" -%}
    {%- set changed = run_query(
        'select min(changed_from) from ('
        ~ ' select min(kept.date) as changed_from from ' ~ this_relation ~ ' as kept'
        ~ ' left join ' ~ account_days_relation ~ ' as account_days'
        ~ ' on kept.account_id = account_days.account_id and kept.date = account_days.date_day'
        ~ ' where kept.date < ' ~ cutoff_literal
        ~ ' and kept.licensed_seats <> coalesce(account_days.licensed_seats, 0)'
        ~ ' union all'
        ~ ' select min(account_days.date_day) as changed_from from ' ~ account_days_relation ~ ' as account_days'
        ~ ' left join ' ~ this_relation ~ ' as kept'
        ~ ' on account_days.account_id = kept.account_id and account_days.date_day = kept.date'
        ~ ' where account_days.date_day < ' ~ cutoff_literal ~ ' and kept.account_id is null'
        ~ ') as changes'
    ).columns[0].values()[0] -%}
    {%- set cutoff = changed if changed is not none and changed < activity_cutoff else activity_cutoff -%}
    {{- return("cast('" ~ cutoff ~ "' as date)") -}}
{%- endmacro %}
