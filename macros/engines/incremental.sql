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
