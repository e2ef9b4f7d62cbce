{#-
    The combination of `combination_of_columns` is unique in the model
    (a composite key; dbt's built-in `unique` takes one column).
    Fails with one row per duplicated combination.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

    {%- set columns = combination_of_columns | join(', ') %}

    with

    validation as (

        select
            {{ columns }},
            count(*) as n_rows
        from {{ model }}
        group by {{ columns }}
        having count(*) > 1

    )

    select * from validation

{% endtest %}
