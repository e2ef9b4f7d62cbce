{#-
    CX metric formulas (metrics.md, Customer Experience). Each formula is written once here
    and used by every model that publishes it (monthly marts, per-account trailing windows),
    so a grain can never compute a number differently from another.

    Arguments are SQL expressions (column names or aggregates) of counts and sums.
    Every metric is null when its denominator is 0 or null: a period without responses
    has no score, never 0.

    Rounding: round_decimal (macros/round_decimal.sql); the whole case expression is cast
    too, so the type (precision and scale) survives engines that drop it for a case with an
    implicit null (PostgreSQL: numeric without a scale).
-#}

{#- NPS = 100 * (promoters - detractors) / responses; -100..100, 1 decimal; null without responses. -#}
{% macro cx_nps(promoters, detractors, responses) -%}
    cast(
        case
            when {{ responses }} > 0
                then {{ round_decimal('100.0 * (' ~ promoters ~ ' - ' ~ detractors ~ ') / ' ~ responses, 1, 5) }}
        end
    as decimal(5, 1))
{%- endmacro %}

{#-
    95% margin of error of NPS, in NPS points, 1 decimal; null without responses.
    metrics.md: 1.96 * 100 * sqrt((p + d - (p - d)^2) / n) with p, d the promoter and
    detractor shares. With counts P, D and n responses, p = P/n and d = D/n, so
    (p + d - (p - d)^2) / n = (n * (P + D) - (P - D)^2) / n^3. The numerator is an exact
    integer (bigint); the division and the square root are done in floating point (sqrt is
    a floating-point function on every engine anyway), then rounded like every metric.
    Decimal arithmetic is avoided on purpose: n^3 at decimal scale overflows decimal(38)
    once a month has a few thousand responses.
-#}
{% macro cx_nps_moe_95(promoters, detractors, responses) -%}
    {%- set n = 'cast(' ~ responses ~ ' as ' ~ dbt.type_bigint() ~ ')' -%}
    {%- set p_plus_d = 'cast(' ~ promoters ~ ' + ' ~ detractors ~ ' as ' ~ dbt.type_bigint() ~ ')' -%}
    {%- set p_minus_d = 'cast(' ~ promoters ~ ' - ' ~ detractors ~ ' as ' ~ dbt.type_bigint() ~ ')' -%}
    {%- set n_float = 'cast(' ~ responses ~ ' as ' ~ dbt.type_float() ~ ')' -%}
    cast(
        case
            when {{ responses }} > 0
                then {{ round_decimal(
                    '196.0 * sqrt(cast(' ~ n ~ ' * ' ~ p_plus_d ~ ' - ' ~ p_minus_d ~ ' * ' ~ p_minus_d
                    ~ ' as ' ~ dbt.type_float() ~ ') / (' ~ n_float ~ ' * ' ~ n_float ~ ' * ' ~ n_float ~ '))',
                    1, 5
                ) }}
        end
    as decimal(5, 1))
{%- endmacro %}

{#- A share as a 0-100 percentage, 1 decimal: 100 * numerator / denominator; null when the denominator is 0. -#}
{% macro cx_pct(numerator, denominator) -%}
    cast(
        case
            when {{ denominator }} > 0
                then {{ round_decimal('100.0 * ' ~ numerator ~ ' / ' ~ denominator, 1, 5) }}
        end
    as decimal(5, 1))
{%- endmacro %}

{#- A mean score, 2 decimals: score_sum / responses; null without responses. -#}
{% macro cx_mean(score_sum, responses) -%}
    cast(
        case
            when {{ responses }} > 0
                then {{ round_decimal('1.0 * ' ~ score_sum ~ ' / ' ~ responses, 2, 5) }}
        end
    as decimal(5, 2))
{%- endmacro %}
