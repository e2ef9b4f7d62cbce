{#-
    Custom schema names are used as they are: `+schema: staging` builds in schema
    `staging` (not `<target_schema>_staging`), so the warehouse has exactly the
    schemas raw, staging, intermediate, marts and seeds on every target.
    A node without a custom schema falls back to the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
