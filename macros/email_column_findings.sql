{#-
    Personal data guard: where could an email address reach a model or seed?

    Returns a list of findings {node_id, column_name, finding}; empty when clean.
    Used by tests/assert_no_email_outside_staging.sql. Portable: it reads dbt's
    graph and asks the adapter for relation columns (no information_schema).

    A column is email-like when its lower-cased name contains "email" or "e_mail",
    except boolean flags derived from it (has_email, is_email_verified, ...) and counts of
    addresses redacted from free text (redacted_emails: macros/cx/redact_comment.sql).

    Checks, for every model, seed and snapshot:
      1. outside staging, no documented column is email-like;
      2. outside staging, no node reads a source that documents an email-like
         column (only staging may read personal data, and staging drops it);
      3. no built relation (in any schema dbt builds, staging included) has an
         email-like column. Ephemeral nodes have no relation: 1 and 2 cover them.
-#}
{% macro is_email_like(column_name) -%}
    {%- set name = column_name | lower -%}
    {{- return(
        ('email' in name or 'e_mail' in name)
        and not name.startswith('has_')
        and not name.startswith('is_')
        and not name.startswith('redacted_')
    ) -}}
{%- endmacro %}

{% macro email_column_findings() -%}
    {%- set findings = [] -%}
    {%- if not execute -%}
        {{- return(findings) -}}
    {%- endif -%}

    {%- set pii_sources = [] -%}
    {%- for source_node in graph.sources.values() -%}
        {%- for column_name in source_node.columns -%}
            {%- if is_email_like(column_name) and source_node.unique_id not in pii_sources -%}
                {%- do pii_sources.append(source_node.unique_id) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}

    {%- for node in graph.nodes.values()
        if node.resource_type in ['model', 'seed', 'snapshot'] and node.package_name == project_name -%}
        {%- set in_staging = node.resource_type == 'model' and node.fqn[1] == 'staging' -%}

        {%- if not in_staging -%}
            {%- for column_name in node.columns -%}
                {%- if is_email_like(column_name) -%}
                    {%- do findings.append({
                        'node_id': node.unique_id,
                        'column_name': column_name,
                        'finding': 'documented email-like column outside staging',
                    }) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- for parent_id in node.depends_on.nodes if parent_id in pii_sources -%}
                {%- do findings.append({
                    'node_id': node.unique_id,
                    'column_name': '',
                    'finding': 'reads ' ~ parent_id ~ ' (holds personal data) outside staging',
                }) -%}
            {%- endfor -%}
        {%- endif -%}

        {%- if node.config.materialized != 'ephemeral' -%}
            {%- set relation = adapter.get_relation(
                database=node.database,
                schema=node.schema,
                identifier=node.alias,
            ) -%}
            {%- if relation is not none -%}
                {%- for column in adapter.get_columns_in_relation(relation) -%}
                    {%- if is_email_like(column.name) -%}
                        {%- do findings.append({
                            'node_id': node.unique_id,
                            'column_name': column.name,
                            'finding': 'email-like column in ' ~ relation,
                        }) -%}
                    {%- endif -%}
                {%- endfor -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}

    {{- return(findings) -}}
{%- endmacro %}
