{#-
    The expected rows of a dbt unit test as SQL. dbt writes them as one `select` per row joined
    by `union all` (its global `get_expected_sql`, not dispatched); this root-project macro of the
    same name replaces it and dispatches, so an engine can write them another way. DuckDB and
    PostgreSQL keep dbt's own SQL.

    Apache Spark analyses a union of many literal selects slowly: the 181 expected rows of
    test_int_cx__account_sentiment_daily_window_edges took 20 s to analyse beside the model
    (75 s under dbt's four threads), the same rows as one inline `values` table 0.3 s
    (DECISIONLOG.md "Unit tests' expected rows on Spark as an inline table"). The given inputs
    stay dbt's: written the same way they measured no faster (their cost is the model's plan).
-#}
{% macro get_expected_sql(rows, column_name_to_data_types, column_name_to_quoted) %}
    {{- return(adapter.dispatch('get_expected_sql', 'cxcs')(rows, column_name_to_data_types, column_name_to_quoted)) -}}
{% endmacro %}

{#- dbt's own, called by its namespace (a root-project macro does not replace it there). -#}
{% macro default__get_expected_sql(rows, column_name_to_data_types, column_name_to_quoted) %}
    {{- return(dbt.get_expected_sql(rows, column_name_to_data_types, column_name_to_quoted)) -}}
{% endmacro %}

{#- Spark: one inline table of the columns the expected rows name (the first row's, in order). -#}
{% macro spark__get_expected_sql(rows, column_name_to_data_types, column_name_to_quoted) %}
{%- if (rows | length) == 0 -%}
    {{- return(dbt.get_expected_sql(rows, column_name_to_data_types, column_name_to_quoted)) -}}
{%- endif -%}
{%- set columns = [] -%}
{%- for column_name in rows[0].keys() -%}
    {%- do columns.append(column_name | lower) -%}
{%- endfor -%}
{{ cxcs_values_table(rows, column_name_to_data_types, columns, 'dbt_internal_unit_test_expected_rows') }}
{% endmacro %}

{#-
    `select * from values (...), (...) as alias(columns)`: Spark's inline table, every cell cast
    as dbt casts it (its format_row); a column a row leaves out is a typed null.
-#}
{% macro cxcs_values_table(rows, column_name_to_data_types, columns, alias) -%}
select * from values
{%- for row in rows %}
    {%- set formatted_row = format_row(row, column_name_to_data_types) %}
    (
    {%- for column_name in columns -%}
        {{ formatted_row.get(column_name, safe_cast('null', column_name_to_data_types[column_name]) | trim) }}
        {%- if not loop.last %}, {% endif -%}
    {%- endfor -%}
    ){% if not loop.last %},{% endif %}
{%- endfor %}
as {{ alias }} (
{%- for column_name in columns -%}
    {{ adapter.quote(column_name) }}{% if not loop.last %}, {% endif %}
{%- endfor -%}
)
{%- endmacro %}
