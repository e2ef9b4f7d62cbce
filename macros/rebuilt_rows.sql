{#-
    Data tests of an incremental model check the rows that this dbt invocation wrote.

    An incremental model that rebuilds whole days (int_product__activity_daily,
    product_usage_daily, cs_account_health_daily) records, when it runs, the first day it rewrote — or null when it
    wrote every row (first build, --full-refresh) — in intermediate.incremental_rebuilds,
    keyed by dbt's invocation_id. A data test of that model whose config has
    `meta: {rebuilt_rows_column: <day column>}` then reads only the rows on or after that day.
    The rows before it were written, and passed the same tests, in an earlier run; a failed
    run never publishes and its build file is restored from the last publication, so they
    are the validated rows. A test run without a rebuild of the model in the same invocation
    (`dbt test`, a full refresh) reads every row.

    Only tests whose verdict on a row depends on that row's day alone take the filter (a
    grain per day, a per-day identity); tests that join other tables (relationships) read
    everything.
-#}

{#- The audit table, created on every run/build/test (on-run-start). -#}
{% macro incremental_rebuilds_relation(database=none) -%}
    {#- Spark has schemas only: no database on its target or relations. -#}
    {%- set database = database or (target.database if target.database is defined else none) -%}
    {{ return(api.Relation.create(database=database, schema='intermediate', identifier='incremental_rebuilds')) }}
{%- endmacro %}

{% macro create_incremental_rebuilds() -%}
    {%- if execute and flags.WHICH in ('run', 'build', 'test', 'retry') -%}
        {%- do adapter.create_schema(api.Relation.create(database=incremental_rebuilds_relation().database, schema='intermediate')) -%}
        create table if not exists {{ incremental_rebuilds_relation() }} (
            invocation_id {{ dbt.type_string() }},
            model_name {{ dbt.type_string() }},
            -- First day rewritten; null = every row.
            rebuilt_from date,
            recorded_at {{ dbt.type_timestamp() }},
            -- A digest of what the model's cutoff logic must see unchanged (e.g. the health
            -- score's project code, seeds and raw batches); null when it uses none.
            input_state {{ dbt.type_string() }},
            -- Set by the model's post-hook once the rows are written (not on Spark, where
            -- these models are tables rebuilt whole).
            completed {{ dbt.type_boolean() }}
        ){{ adapter.dispatch('incremental_rebuilds_table_options', 'cxcs')() }}
    {%- endif -%}
{%- endmacro %}

{% macro default__incremental_rebuilds_table_options() -%}{%- endmacro %}

{#- Spark: a data source table (a plain CREATE TABLE would need Hive support). -#}
{% macro spark__incremental_rebuilds_table_options() -%}
    using parquet
{%- endmacro %}

{#- Called by an incremental model while it is compiled for execution: `cutoff` is the SQL
    date literal of its first rewritten day, or none when it writes every row. -#}
{% macro record_rebuilt_from(cutoff, input_state=none) -%}
    {%- if execute and flags.WHICH in ('run', 'build', 'retry') and model.resource_type == 'model' and this is not string -%}
        {%- do run_query(
            'insert into ' ~ incremental_rebuilds_relation(this.database)
            ~ ' (invocation_id, model_name, rebuilt_from, recorded_at, input_state, completed)'
            ~ " values ('" ~ invocation_id ~ "', '" ~ this.identifier ~ "', "
            ~ 'cast(' ~ (cutoff if cutoff is not none else 'null') ~ ' as date), '
            ~ 'cast(' ~ dbt.current_timestamp() ~ ' as ' ~ dbt.type_timestamp() ~ '), '
            ~ ("'" ~ input_state ~ "'" if input_state is not none else 'null') ~ ', false)'
        ) -%}
    {%- endif -%}
{%- endmacro %}

{#- The first day this invocation rewrote in `relation` as a SQL expression: the day its
    model recorded, or 0001-01-01 (every row) when it recorded none or null. -#}
{% macro rebuilt_from_day(relation) -%}
    coalesce(
        (
            select max(rebuilt_from) from {{ incremental_rebuilds_relation(relation.database) }}
            where invocation_id = '{{ invocation_id }}' and model_name = '{{ relation.identifier }}'
        ),
        cast('0001-01-01' as date)
    )
{%- endmacro %}

{#- Pre-hook of a model that rebuilds its last days: when incremental, deletes every row on
    or after the first day this invocation rewrites (all rows when it rewrites everything),
    so no stale day survives (e.g. days after an as-of date moved back). -#}
{% macro delete_rebuilt_rows(day_column) -%}
    {{ return(adapter.dispatch('delete_rebuilt_rows', 'cxcs')(day_column)) }}
{%- endmacro %}

{% macro default__delete_rebuilt_rows(day_column) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ day_column }} >= {{ rebuilt_from_day(this) }}
    {%- endif -%}
{%- endmacro %}

{#- Spark: parquet tables have no DELETE. The marts are tables there (rebuilt whole); the events
    rollup overwrites the partitions it writes, so a day after an as-of date moved back stays
    (DECISIONLOG "What as-of D means"). -#}
{% macro spark__delete_rebuilt_rows(day_column) -%}{%- endmacro %}

{#- Post-hook: the rebuild recorded for this model in this invocation is written. -#}
{% macro mark_rebuild_completed() -%}
    {{ return(adapter.dispatch('mark_rebuild_completed', 'cxcs')()) }}
{%- endmacro %}

{% macro default__mark_rebuild_completed() -%}
    update {{ incremental_rebuilds_relation(this.database) }} set completed = true
    where invocation_id = '{{ invocation_id }}' and model_name = '{{ this.identifier }}'
{%- endmacro %}

{#- Spark: parquet tables have no UPDATE; these models are tables there, rebuilt whole. -#}
{% macro spark__mark_rebuild_completed() -%}{%- endmacro %}

{#- The rows of `relation` on or after the first day this invocation rewrote (all rows when
    it rewrote none or all), as a subquery to select from. -#}
{% macro rebuilt_rows(relation, day_column, where=none) -%}
    (
        select * from {{ relation }}
        where
            {{ day_column }} >= {{ rebuilt_from_day(relation) }}
            {%- if where %}
                and ({{ where }})
            {%- endif %}
    ) as dbt_subquery
{%- endmacro %}

{#- dbt's own macro (the `where` config of a data test), extended with rebuilt_rows for a
    test configured with meta.rebuilt_rows_column. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set day_column = (config.get('meta') or {}).get('rebuilt_rows_column') -%}
    {%- if day_column -%}
        {%- do return(rebuilt_rows(relation, day_column, where)) -%}
    {%- endif -%}
    {%- do return(adapter.dispatch('get_where_subquery', 'dbt')(relation)) -%}
{%- endmacro %}
