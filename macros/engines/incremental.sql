{#-
    Incremental strategy of a model that rebuilds whole periods (e.g. days) on every run,
    per engine, as the keyword arguments of config():

        {{ config(materialized='incremental', **replace_periods_config('activity_date')) }}

    Every row of a period present in the new rows replaces every old row of that period,
    and other periods are kept, on each engine with the strategy it supports:
      default (DuckDB, PostgreSQL, ...): delete+insert with unique_key = the period column;
      spark: insert_overwrite of the table partitioned by the period column (dynamic
             partition overwrite; Parquet, no Delta needed). Spark puts a partition column
             last in the table: read it by name, never by position.
-#}
{% macro replace_periods_config(period_column) -%}
    {{ return(adapter.dispatch('replace_periods_config', 'cxcs')(period_column)) }}
{%- endmacro %}

{% macro default__replace_periods_config(period_column) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': period_column}) }}
{%- endmacro %}

{% macro spark__replace_periods_config(period_column) -%}
    {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [period_column]}) }}
{%- endmacro %}

{#-
    Config of an account x day mart that rebuilds its last days on every run (e.g.
    product_usage_daily): incremental with replace_periods_config on DuckDB and PostgreSQL; a
    table rebuilt whole on Spark, where insert_overwrite would move the period column last
    and break the mart's column order (its contract). The model's SQL is the same: it reads
    only the days it needs when is_incremental(), everything otherwise.
-#}
{% macro replace_days_mart_config(period_column) -%}
    {{ return(adapter.dispatch('replace_days_mart_config', 'cxcs')(period_column)) }}
{%- endmacro %}

{% macro default__replace_days_mart_config(period_column) -%}
    {{ return(dict(materialized='incremental', on_schema_change='fail', **replace_periods_config(period_column))) }}
{%- endmacro %}

{% macro spark__replace_days_mart_config(period_column) -%}
    {{ return({'materialized': 'table'}) }}
{%- endmacro %}
