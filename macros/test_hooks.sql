{#-
    Test hook, never set in production: when the environment variable CXCS_TEST_AFTER_DBT_SQL
    holds SQL, it runs at the end of the dbt invocation (on-run-end in dbt_project.yml), after
    every model and dbt test and before the quality gate. tests_py/test_quality_gate.py uses it
    to make a mart wrong on purpose and prove that the gate stops the publication.
    Renders nothing when the variable is unset, so the hook is a no-op.
-#}
{% macro cxcs_test_after_dbt_hook() -%}
    {%- set statement = env_var('CXCS_TEST_AFTER_DBT_SQL', '') -%}
    {%- if execute and statement -%}
        {{ statement }}
    {%- endif -%}
{%- endmacro %}
