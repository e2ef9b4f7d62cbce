{#-
    Round an expression half away from zero to `scale` decimals, typed decimal(precision, scale):
    the one rounding rule of every published metric (CX, CS, product, health).
    The value is first cast to decimal(38, 10): a quotient computed in binary floating point
    (DuckDB divides decimals as doubles) loses its representation noise before rounding.
    Portable: round(decimal, n) rounds half away from zero on DuckDB, PostgreSQL (numeric) and
    Spark (HALF_UP).
-#}
{% macro round_decimal(expression, scale, precision=18) -%}
    cast(round(cast({{ expression }} as decimal(38, 10)), {{ scale }}) as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}
