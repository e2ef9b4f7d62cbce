{#-
    Overrides dbt's global `should_full_refresh()`, which dbt's `is_incremental()` and every
    incremental materialization (dbt-duckdb's, dbt-postgres's, dbt-spark's) call: a model named in
    var `full_refresh_models` is rebuilt from scratch in this invocation, as `--full-refresh` would
    rebuild it, while the other models of the same build run as usual. This is how the refresh job
    rebuilds a selection after a change to a macro it uses (run config `full_refresh_select`)
    without a second dbt invocation or a `dbt build` by hand that would bypass the gate.
    A model whose own `full_refresh` config is set keeps dbt's rule (false protects a table that
    must never be rebuilt). Vars are read when the node runs, so the prepared manifest serves.
-#}
{% macro should_full_refresh() %}
    {%- if config.get('full_refresh') is none and model.name in var('full_refresh_models', []) -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(dbt.should_full_refresh()) }}
{% endmacro %}
