{#-
    No row of `model` has a null in any of `column_names`: the not-null rule of several
    columns of one table as one test (one scan, one node in dbt and one asset check in Dagster)
    instead of a `not_null` test per column.

    Where it is used:
      raw tables (the dbt sources)  the columns the raw contract (orchestration/contract.py)
                                    marks required. The loader quarantines a row missing one
                                    before it reaches raw and staging only trims, changes case
                                    and casts, so this one test per table is where that
                                    guarantee is checked (tests_py/test_rules_once.py checks the
                                    lists against the contract).
      seeds, views                  the columns that must be filled (views cannot enforce a
                                    contract's not_null constraint; seeds cannot have one).
    Tables dbt builds use an enforced contract's not_null constraints instead.

    Fails with each offending row, every column (a raw row's _batch_id and _row_number name
    its landing file and row).
-#}
{% test required_columns_not_null(model, column_names) %}

    with

    validation as (

        select *
        from {{ model }}
        where
            1 = 0
            {%- for column in column_names %}
                or {{ column }} is null
            {%- endfor %}

    )

    select * from validation

{% endtest %}
