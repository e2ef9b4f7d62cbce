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
