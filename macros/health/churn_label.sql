{#-
    The backtest's churn label, one definition for every model that needs it (the health
    backtest, int_health__backtest_observations, and the learned churn model's rows,
    int_churn__features): an account paying on `day` churns within 90 days when its paying
    spell (int_health__paying_spells) ends by day + 90 (MRR falls to 0: logo churn). The label
    is known only once that window has ended by the as-of date.
-#}
{% macro churned_within_90d(day, paying_until) -%}
    {{ paying_until }} <= cast({{ dbt.dateadd('day', 90, day) }} as date)
{%- endmacro %}

{% macro churn_window_ended(day) -%}
    cast({{ dbt.dateadd('day', 90, day) }} as date) <= {{ as_of_date() }}
{%- endmacro %}
