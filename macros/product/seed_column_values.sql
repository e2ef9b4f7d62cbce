{#-
    The values of one column of a relation (a seed), ordered, read when the model runs, so a
    model can shape its columns from reference data (like dbt_utils.get_column_values).

    Returns `default` while dbt parses (nothing runs then) or when the relation is not built
    yet (e.g. compiling for sqlfluff against an empty in-memory database).

    Example: {% set milestones = seed_column_values(ref('onboarding_milestones'), 'milestone', 'sort_order') %}
-#}
{% macro seed_column_values(relation, column, order_by, default=[]) -%}
    {%- if not execute -%}
        {{- return(default) -}}
    {%- endif -%}
    {%- set existing = adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) -%}
    {%- if existing is none -%}
        {{- return(default) -}}
    {%- endif -%}
    {%- set result = run_query(
        'select ' ~ column ~ ' from ' ~ relation ~ ' order by ' ~ order_by ~ ', ' ~ column
    ) -%}
    {{- return(result.columns[0].values() | list) -}}
{%- endmacro %}
