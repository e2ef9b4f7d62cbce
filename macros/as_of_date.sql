{#-
    The as-of date of every model: the last day whose state the marts show (the current month
    is measured at this date, per-account trailing windows and day series end on it). The
    project variable `as_of_date` (YYYY-MM-DD, declared in dbt_project.yml) when set, e.g. by
    tests and reproducible rebuilds; unset, the build's current date in UTC (the profile sets
    the session time zone to UTC).
-#}
{% macro as_of_date() -%}
    {%- set as_of = var('as_of_date', none) -%}
    {%- if as_of -%}
        cast('{{ as_of }}' as date)
    {%- else -%}
        cast({{ dbt.current_timestamp() }} as date)
    {%- endif -%}
{%- endmacro %}
