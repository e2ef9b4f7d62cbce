{#-
    Text value of a field of a JSON object stored as text, null when absent.

    `field` is a key, or a dotted path for nested objects ('feature', 'page.url').
    Engine-specific, hence dispatched: DuckDB, PostgreSQL, Spark, and a default
    on the SQL:2016 standard JSON_VALUE for other engines.

    Example: {{ json_extract_string('properties', 'feature') }}
-#}
{% macro json_extract_string(json_column, field) -%}
    {{ return(adapter.dispatch('json_extract_string', 'cxcs')(json_column, field)) }}
{%- endmacro %}

{% macro default__json_extract_string(json_column, field) -%}
    json_value({{ json_column }}, '$.{{ field }}')
{%- endmacro %}

{% macro duckdb__json_extract_string(json_column, field) -%}
    json_extract_string({{ json_column }}, '$.{{ field }}')
{%- endmacro %}

{% macro postgres__json_extract_string(json_column, field) -%}
    json_extract_path_text(
        cast({{ json_column }} as json),
        {%- for key in field.split('.') %}
            '{{ key }}'{{ ',' if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{% macro spark__json_extract_string(json_column, field) -%}
    get_json_object({{ json_column }}, '$.{{ field }}')
{%- endmacro %}
