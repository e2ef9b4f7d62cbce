{#-
    Personal data never leaves staging: no model, seed or snapshot outside staging has
    an email-like column (documented or built), reads a source holding one, and no built
    relation exposes one (see macros/email_column_findings.sql).
    Fails with one row per finding.
-#}
-- depends_on: {{ ref('stg_product__users') }}
{%- set findings = email_column_findings() %}

with

findings as (

    {%- for finding in findings %}
        select
            '{{ finding.node_id }}' as node_id,
            '{{ finding.column_name }}' as column_name,
            '{{ finding.finding | replace("'", "''") }}' as finding
        {{ 'union all' if not loop.last }}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as node_id,
            cast(null as {{ dbt.type_string() }}) as column_name,
            cast(null as {{ dbt.type_string() }}) as finding
        where 1 = 0
    {%- endfor %}

)

select
    node_id,
    column_name,
    finding
from findings
