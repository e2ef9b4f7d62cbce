{#-
    analyze_after_build(): what every model's and seed's post-hook runs once it is built
    (dbt_project.yml). Nothing on DuckDB and Spark; on PostgreSQL, `analyze` of a table.

    PostgreSQL plans from table statistics, and a table dbt has just created has none until
    autovacuum reaches it, usually after the build: the planner then guesses from the table's
    pages (160 rows for the one-row int_health__parameters), multiplies the guesses through the
    joins of the model reading it and, past jit_above_cost, compiles the query with LLVM first.
    cs_account_health_daily took 29 s in the build of the 40-account engine fixture; `explain
    analyze` of its SQL showed 35 s of LLVM compilation before 0.8 s of execution, and 0.8 s in
    all once the parameters table is analyzed (DECISIONLOG "PostgreSQL analyzes each table it
    builds"). Views have no statistics of their own.
-#}
{% macro analyze_after_build() -%}
    {{ adapter.dispatch('analyze_after_build', 'cxcs')() }}
{%- endmacro %}

{% macro default__analyze_after_build() -%}
{%- endmacro %}

{% macro postgres__analyze_after_build() -%}
    {%- if config.get('materialized') in ('table', 'incremental', 'seed') -%}
        analyze {{ this }}
    {%- endif -%}
{%- endmacro %}
