{#-
    Account health score helpers (metrics.md, Health score). Portable: ANSI SQL only.
-#}

{#-
    A part score on a linear scale: 100 * value / full_at, capped at 100, never below 0;
    null when full_at is not positive (the parameter then disables the part).
-#}
{% macro health_scale(value, full_at) -%}
    case
        when {{ full_at }} > 0
            then case
                when {{ value }} >= {{ full_at }} then 100.0
                when {{ value }} <= 0 then 0.0
                else 100.0 * {{ value }} / {{ full_at }}
            end
    end
{%- endmacro %}

{#-
    Weighted mean of the parts present: sum(weight * part) / sum(weight) over the parts that
    are not null, so a missing part's weight is re-distributed over the others (never scored
    0). Null when no part is present or the weights present add up to 0.

    parts: list of (part expression, weight expression) pairs.
-#}
{% macro health_weighted_mean(parts) -%}
    {%- set weighted = [] -%}
    {%- set present = [] -%}
    {%- for part, weight in parts -%}
        {%- do weighted.append('coalesce(' ~ weight ~ ' * ' ~ part ~ ', 0)') -%}
        {%- do present.append('case when ' ~ part ~ ' is null then 0 else ' ~ weight ~ ' end') -%}
    {%- endfor -%}
    case
        when ({{ present | join(' + ') }}) > 0
            then ({{ weighted | join(' + ') }}) / ({{ present | join(' + ') }})
    end
{%- endmacro %}

{#- A score as published: decimal(5, 1), rounded half away from zero. -#}
{% macro health_round(expression) -%}
    {{ round_decimal(expression, 1, 5) }}
{%- endmacro %}
