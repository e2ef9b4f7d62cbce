{#-
    Every non-null value of `column_name` lies within [min_value, max_value]
    (either bound may be omitted). Fails with each row outside the range.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none) %}

    with

    validation as (

        select {{ column_name }} as value_outside_range
        from {{ model }}
        where
            {{ column_name }} is not null
            and (
                1 = 0
                {%- if min_value is not none %}
                    or {{ column_name }} < {{ min_value }}
                {%- endif %}
                {%- if max_value is not none %}
                    or {{ column_name }} > {{ max_value }}
                {%- endif %}
            )

    )

    select * from validation

{% endtest %}
