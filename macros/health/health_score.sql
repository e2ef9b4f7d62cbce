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
    Two parts of one component: share * first + (1 - share) * second when both are present,
    the one present otherwise (a missing part is re-weighted away, never scored 0).
-#}
{% macro health_blend(first, second, share) -%}
    case
        when {{ first }} is not null and {{ second }} is not null
            then {{ share }} * {{ first }} + (1 - {{ share }}) * {{ second }}
        when {{ first }} is not null then {{ first }}
        else {{ second }}
    end
{%- endmacro %}

{#- A score as published: decimal(5, 1), rounded half away from zero. -#}
{% macro health_round(expression) -%}
    {{ cs_round(expression, 1, 5) }}
{%- endmacro %}
