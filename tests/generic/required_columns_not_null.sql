{#-
    No row of `model` has a null in any of `column_names`. Applied once per raw table (the dbt
    sources) to the columns the raw contract (orchestration/contract.py) marks required: the
    loader quarantines a row missing one of them before it reaches raw, and staging only trims,
    changes case and casts, so this one test per table is where that guarantee is checked
    (instead of a not_null test per column per layer: one scan instead of one per column).
    tests_py/test_rules_once.py checks the lists against the contract.
    Fails with each offending row: its load batch and file row, and the columns checked.
-#}
{% test required_columns_not_null(model, column_names) %}

    with

    validation as (

        select
            _batch_id,
            _row_number,
            {{ column_names | join(', ') }}
        from {{ model }}
        where
            1 = 0
            {%- for column in column_names %}
                or {{ column }} is null
            {%- endfor %}

    )

    select * from validation

{% endtest %}
