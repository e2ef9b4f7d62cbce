{#-
    The continuous percentile of `expression` over the group (an aggregate): linear
    interpolation between the two nearest ranks, nulls ignored (percentile_cont in SQL:2003);
    null over a group without a value. `fraction` in [0, 1] (0.5 the median).

    Dispatched: PostgreSQL and DuckDB read the standard ordered-set aggregate; Spark's exact
    `percentile` computes the same interpolation (its `percentile_approx` would not).
-#}
{% macro percentile_cont(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile_cont', 'cxcs')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro spark__percentile_cont(expression, fraction) -%}
    percentile({{ expression }}, {{ fraction }})
{%- endmacro %}

{#- Calendar hours (not business hours) from `start` to `end`, a float; null when either is null. -#}
{% macro support_hours(start, end) -%}
    cast({{ dbt.datediff(start, end, 'second') }} as {{ dbt.type_float() }}) / 3600.0
{%- endmacro %}
