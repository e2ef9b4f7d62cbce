{#-
    The given and expected rows of a dbt unit test as SQL. dbt writes each as one `select` per
    row joined by `union all` (its global `get_fixture_sql` and `get_expected_sql`, not
    dispatched); these root-project macros of the same names replace them and dispatch, so an
    engine can write them another way. DuckDB and PostgreSQL keep dbt's own SQL.

    Apache Spark analyses a union of many literal selects slowly, and a model that reads an
    input twice analyses its union twice: the 181 expected rows of
    test_int_cx__account_sentiment_daily_window_edges took 20 s to analyse beside the model
    (75 s under dbt's four threads), the same rows as one inline `values` table 0.3 s; the given
    rows of test_product_usage_daily_windows_and_seat_change (80 selects in four inputs) took
    5.8-14.7 s to run, as inline tables 1.3-2.1 s, with the same rows and types (DECISIONLOG.md
    "Unit tests' rows on Spark as inline tables").
-#}
{% macro get_fixture_sql(rows, column_name_to_data_types) %}
    {{- return(adapter.dispatch('get_fixture_sql', 'cxcs')(rows, column_name_to_data_types)) -}}
{% endmacro %}

{#- dbt's own, called by its namespace (a root-project macro does not replace it there). -#}
{% macro default__get_fixture_sql(rows, column_name_to_data_types) %}
    {{- return(dbt.get_fixture_sql(rows, column_name_to_data_types)) -}}
{% endmacro %}

{#-
    Spark: one inline table of every column of the input, read from the database as dbt reads
    them (a column a row leaves out is a typed null, as in dbt's). No rows: dbt's own.
-#}
{% macro spark__get_fixture_sql(rows, column_name_to_data_types) %}
{%- if (rows | length) == 0 -%}
    {{- return(dbt.get_fixture_sql(rows, column_name_to_data_types)) -}}
{%- endif -%}
{%- if not column_name_to_data_types -%}
    {%- set this_or_defer_relation = defer_relation if (defer_relation and not load_relation(this)) else this -%}
    {%- set column_name_to_data_types = {} -%}
    {%- for column in adapter.get_columns_in_relation(this_or_defer_relation) -%}
        {%- do column_name_to_data_types.update({column.name | lower: column.data_type}) -%}
    {%- endfor -%}
{%- endif -%}
{%- if not column_name_to_data_types -%}
    {{ exceptions.raise_compiler_error("Not able to get columns for unit test '" ~ model.name ~ "' from relation " ~ this ~ " because the relation doesn't exist") }}
{%- endif -%}
{{ validate_fixture_rows(rows, row_number) }}
-- Fixture for {{ model.name }}
{{ cxcs_values_table(rows, column_name_to_data_types, column_name_to_data_types.keys() | list, 'dbt_internal_fixture_rows') }}
{% endmacro %}

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
