{#-
    Apache Spark (dbt-spark) variants of dbt's own dispatched macros. The root project is
    searched first when dbt dispatches a macro of its `dbt` namespace, so these replace the
    adapter's version on Spark only; DuckDB and PostgreSQL are untouched.
-#}

{#-
    cast(field, type): Spark SQL has no unbounded `varchar` (it asks for a length) and names
    the type `string`. Contracts declare text columns as `varchar` (DuckDB, PostgreSQL), and
    dbt checks a contract by casting null to each declared type: map the text types to
    Spark's `string`; every other type is passed through.
-#}
{% macro spark__cast(field, type) -%}
    {%- set text_types = ['varchar', 'text', 'character varying', 'string'] -%}
    cast({{ field }} as {{ 'string' if (type | lower | trim) in text_types else type }})
{%- endmacro %}

{#-
    Constraints of an enforced contract: Spark can only alter columns (`set not null`) and
    add check constraints on Delta (or Iceberg) tables. With another table format (this
    project's Spark target writes Parquet), the constraints are not persisted; the contract's
    columns and types are still checked, and the not_null data tests still run.
-#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- if config.get('file_format') in ['delta', 'iceberg'] -%}
        {%- do dbt_spark.spark__persist_constraints(relation, model) -%}
    {%- endif -%}
{%- endmacro %}

{#-
    generate_series(upper_bound): the integers 1..upper_bound as `generated_number`.
    dbt's default builds them from powers of two with power(), a double on Spark, which
    date arithmetic (date_add, add_months) refuses; Spark generates integers natively.
-#}
{% macro spark__generate_series(upper_bound) -%}
    select explode(sequence(1, {{ upper_bound }})) as generated_number
{%- endmacro %}

{#-
    Seeds: dbt-spark inserts a seed's rows with the values as bindings, and its session
    connection (the `session` method this project uses) formats a binding as '<value>', so an
    empty CSV cell (None) arrives as the text 'None', not null (dbt-labs/dbt-adapters#487;
    e.g. onboarding_milestones.feature, where null means "any feature"). The same insert as
    dbt-spark's, with every value written as a SQL literal instead: null for an empty cell,
    true/false for booleans, else the value as quoted text (backslash and quote escaped), cast
    to the column's type as before (a decimal's text is cast exactly, never via a float).
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for col_name in agate_table.column_names -%}
                    {%- set inferred_type = adapter.convert_type(agate_table, loop.index0) -%}
                    {%- set type = column_override.get(col_name, inferred_type) -%}
                    cast({{ spark_seed_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
                )
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {#- The SQL of the first batch, rendered into the compiled files (as dbt-spark does). -#}
    {{ return(statements[0]) }}
{% endmacro %}

{#- A seed cell as a Spark SQL literal (spark__load_csv_rows). -#}
{% macro spark_seed_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true -%}
        true
    {%- elif value is sameas false -%}
        false
    {%- else -%}
        '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{#-
    dateadd(datepart, interval, from): Spark's own timestampadd (Spark 3.3+), the same result as
    dbt-spark's macro (a timestamp: the date or timestamp moved by whole calendar units, a month
    added to the 31st clamped to the month's last day, the clock kept). dbt-spark builds it from
    date_add/add_months, to_unix_timestamp and assert_true around every use of the argument: an
    expression of ~20 nodes that Spark's analyzer and optimizer walk again wherever a CTE is
    inlined, which made the analysis of the models and unit tests with many date windows take
    seconds each (DECISIONLOG "Spark: timestampadd for dbt.dateadd").
-#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- if datepart not in ['day', 'week', 'month', 'quarter', 'year', 'hour', 'minute', 'second'] -%}
        {{ exceptions.raise_compiler_error("dateadd: datepart " ~ datepart ~ " is not implemented on Spark") }}
    {%- endif -%}
    timestampadd({{ datepart }}, cast({{ interval }} as int), {{ from_date_or_timestamp }})
{%- endmacro %}
