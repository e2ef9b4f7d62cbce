{#-
    Product adoption helpers (metrics.md, Product adoption and outcomes). Portable: dbt's
    cross-database macros and ANSI SQL only (DuckDB, PostgreSQL, Spark).
-#}

{#-
    What the incremental events rollup rebuilds (DECISIONLOG: "The events rollup rebuilds
    the days its new batches touch").

    A load appends each landing file as a batch with a higher raw `_batch_id`. The rollup
    records, with each run, the highest batch of raw.product_events it has read
    (product_events_batch_mark, kept as input_state in intermediate.incremental_rebuilds and
    trusted once its post-hook marked the run completed). The next run rebuilds, whole,
    every day on or after the earliest day an event of a newer batch occurred on, however
    old or far in the future that day is: a late event lands on its day and a clock-skewed
    one moves nothing else. A retry of an event already counted rebuilds its day and is
    counted once (the staging view deduplicates).

    The raw tables are read as bookkeeping (the loader's batch ids), not as inputs of the
    rollup's rows: looked up in the graph, so neither the lineage nor the unit-test fixtures
    gain a raw source.
-#}
{% macro bookkeeping_relation(source_name, table_name) -%}
    {%- set node = graph.sources['source.' ~ project_name ~ '.' ~ source_name ~ '.' ~ table_name] -%}
    {{- return(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier)) -}}
{%- endmacro %}

{#- The highest raw `_batch_id` of product events now (a string), or none when there is
    none (or outside a model's execution: unit tests, compile). -#}
{% macro product_events_batch_mark() -%}
    {%- if not execute or model.resource_type != 'model' -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set events = bookkeeping_relation('product', 'events') -%}
    {%- if events is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set mark = run_query('select max(_batch_id) from ' ~ events).columns[0].values()[0] -%}
    {{- return(none if mark is none else (mark | int | string)) -}}
{%- endmacro %}

{#-
    First instant the incremental rollup recomputes (a literal timestamp, midnight UTC), or
    none to rebuild every day. `batch_mark` is this run's product_events_batch_mark.
      - no completed earlier run with a recorded mark (a first incremental run after an
        upgrade, Spark where the post-hook cannot mark runs), no raw events, or a mark
        above today's highest batch (raw was rebuilt): none, every day;
      - events in batches above the last mark (up to batch_mark): the earliest day they
        occurred on, or the day after the rollup's last day when that is earlier;
      - no new events: the day after the rollup's last day, so nothing is rewritten (and
        events already loaded but after an earlier as-of date come in when it moves on);
      - a rollup holding days after the as-of date (built at a later one): none, every day.
    Returned as a literal, queried once before the model runs: a literal bound on
    occurred_at is pushed through the staging view's dedupe window (partitioned by
    occurred_at, event_id) into the raw scan, which then skips every older row group; the
    look-up of the new batches' days reads only the row groups of those batches.
    Unit tests override this macro with the cutoff they test.
-#}
{% macro product_events_cutoff(this_relation, batch_mark) -%}
    {%- if not execute or this_relation is string or batch_mark is none -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set audit = incremental_rebuilds_relation(this_relation.database) -%}
    {%- set this_model = "model_name = '" ~ this_relation.identifier ~ "' and completed" -%}
    {%- set last_mark = run_query(
        'select max(cast(input_state as ' ~ dbt.type_bigint() ~ ')) from ' ~ audit
        ~ ' where ' ~ this_model
        ~ ' and recorded_at = (select max(recorded_at) from ' ~ audit ~ ' where ' ~ this_model ~ ')'
    ).columns[0].values()[0] -%}
    {%- if last_mark is none or (last_mark | int) > (batch_mark | int) -%}
        {{- return(none) -}}
    {%- endif -%}
    {#- A rollup built at a later as-of date holds days this build must not show: delete+insert
        only replaces the days it writes, so those are removed by rebuilding every day. -#}
    {%- set beyond_as_of = run_query(
        'select coalesce(max(activity_date) > ' ~ as_of_date() ~ ', false) from ' ~ this_relation
    ).columns[0].values()[0] -%}
    {%- if beyond_as_of -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set events = bookkeeping_relation('product', 'events') -%}
    {#- The earlier of the two: events loaded before but after an earlier as-of date (the
        staging view left them out) lie after the rollup's last day, and must come in even
        when the new batches' events start later still. -#}
    {%- set cutoff = run_query(
        'select min(cutoff) from ('
        ~ ' select cast(min(occurred_at) as date) as cutoff from ' ~ events
        ~ ' where _batch_id > ' ~ (last_mark | int) ~ ' and _batch_id <= ' ~ (batch_mark | int)
        ~ ' union all'
        ~ ' select cast(' ~ dbt.dateadd('day', 1, 'max(activity_date)') ~ ' as date) from ' ~ this_relation
        ~ ') as cutoffs'
    ).columns[0].values()[0] -%}
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
      - product activity: the days the events rollup rewrote since the mart's last completed
        build (its rebuild records in intermediate.incremental_rebuilds, this invocation's
        included); a full rebuild of the rollup, or no completed build of the mart on
        record, rebuilds every day;
      - the as-of date: the days after the mart's last day;
      - licensed seats and account spans (billing, corrected at any time): the first day
        before that cutoff whose seats in int_health__account_days differ from the mart's, or
        that the mart has no row for (a new account, an earlier first subscription day);
      - the key_features seed: a different count rebuilds everything (edit the list with
        `dbt build --full-refresh -s product_usage_daily+`; DECISIONLOG).
    Every other input of a day lies in its trailing 60 days, which the model re-reads, or is
    the account's first day or the history's start, which move only to a day the rollup
    rewrote. Queried once before the model runs (run_query), like product_events_cutoff.
-#}
{% macro product_usage_cutoff(this_relation, account_days_relation, key_features_relation) -%}
    {%- if not execute or this_relation is string -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set audit = incremental_rebuilds_relation(this_relation.database) -%}
    {%- set this_model = "model_name = '" ~ this_relation.identifier ~ "' and completed" -%}
    {%- set rollup = "model_name = 'int_product__activity_daily' and recorded_at > "
        ~ '(select max(recorded_at) from ' ~ audit ~ ' where ' ~ this_model ~ ')' -%}
    {%- set state = run_query(
        'select'
        ~ ' (select count(*) from ' ~ audit ~ ' where ' ~ this_model ~ '),'
        ~ ' (select count(*) from ' ~ audit ~ ' where ' ~ rollup ~ ' and rebuilt_from is null),'
        ~ ' (select min(rebuilt_from) from ' ~ audit ~ ' where ' ~ rollup ~ '),'
        ~ ' (select cast(' ~ dbt.dateadd('day', 1, 'max(date)') ~ ' as date) from ' ~ this_relation ~ '),'
        ~ ' (select max(date) from ' ~ this_relation ~ ') > ' ~ as_of_date() ~ ','
        ~ ' (select coalesce(max(key_features), -1) from ' ~ this_relation ~ ')'
        ~ ' <> (select count(*) from ' ~ key_features_relation ~ ')'
    ).rows[0] -%}
    {%- set builds, rollup_full, rollup_from, next_day, beyond_as_of, key_features_changed =
        state[0], state[1], state[2], state[3], state[4], state[5] -%}
    {%- if builds == 0 or rollup_full > 0 or next_day is none or beyond_as_of or key_features_changed -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set activity_cutoff = rollup_from if rollup_from is not none and rollup_from < next_day else next_day -%}
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
