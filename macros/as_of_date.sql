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

{#-
    True for a row recorded by the end of the as-of date: `column` (a timestamp in UTC, or a
    date) before midnight UTC that starts the next day, so an event at D 23:59:59 is in and one
    at D+1 00:00:00 is out. The staging views apply it once per entity to its business date
    (DECISIONLOG "What as-of D means"), so no model downstream sees a row recorded after D.
-#}
{% macro recorded_by_as_of(column) -%}
    {{ column }} < cast({{ dbt.dateadd('day', 1, as_of_date()) }} as {{ dbt.type_timestamp() }})
{%- endmacro %}
