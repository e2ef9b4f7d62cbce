{#-
    dbt.type_float(): a double-precision (8-byte) float on every engine.

    dbt's default is the type named `float`, which is 8 bytes on PostgreSQL (and Snowflake,
    Redshift, BigQuery's FLOAT64) but 4 bytes on DuckDB and Spark. A model that computes in
    floating point (e.g. the NPS margin of error's square root) must get the same bits on
    every engine, so DuckDB and Spark use their 8-byte `double`. The root project is searched
    first when dbt dispatches its own macros, so these replace the adapters' versions.
-#}
{% macro duckdb__type_float() -%}
    {{ return('double') }}
{%- endmacro %}

{% macro spark__type_float() -%}
    {{ return('double') }}
{%- endmacro %}
