{#-
    Customer Success revenue helpers (metrics.md, Customer Success). Every formula that more
    than one CS model needs is written once here. Portable: dbt's cross-database macros and
    ANSI SQL only (DuckDB, PostgreSQL, Spark); no recursive CTE, no QUALIFY, no `::`.
-#}

{#-
    Money type of every published amount (MRR, ARR, revenue in the reporting currency):
    decimal with 6 decimals. Sums and differences of decimals are exact, so the MRR movement
    identity holds to the last digit on the published values.
-#}
{% macro cs_money_type() -%}
    decimal(38, 6)
{%- endmacro %}

{#-
    A ratio as a 0-100 percentage with 2 decimals: 100 * numerator / denominator, null when
    the denominator is 0 or null (never an infinity or a division error).
-#}
{% macro cs_pct(numerator, denominator) -%}
    {#- The whole case is cast: PostgreSQL drops the scale of a case with an implicit null. -#}
    cast(
        case
            when {{ denominator }} > 0
                then {{ round_decimal('100.0 * (' ~ numerator ~ ') / (' ~ denominator ~ ')', 2) }}
        end
    as decimal(18, 2))
{%- endmacro %}

{#-
    True when a subscription version is in force at the end of day `on_date` (a date):
    valid_from <= on_date and (valid_to is null or valid_to > on_date). With day-granular
    dates and valid_to exclusive, this is metrics.md's "valid_from <= t < valid_to" at the
    day's last instant t: valid_from (00:00 of its day) <= t iff valid_from <= on_date, and
    valid_to (00:00 of its day) > t iff valid_to >= on_date + 1 day iff valid_to > on_date.
-#}
{% macro cs_is_in_force(versions, on_date) -%}
    (
        {{ versions }}.valid_from <= {{ on_date }}
        and ({{ versions }}.valid_to is null or {{ versions }}.valid_to > {{ on_date }})
    )
{%- endmacro %}

{#-
    Rate from a currency to the reporting currency (project variable reporting_currency,
    USD by default), decimal(38, 12). `rate_to_usd` is the column of the fx_rates seed and
    `fx_rates` the relation (or CTE) holding the seed. For USD reporting the seed's rates are
    used as they are (exact); for another reporting currency the rate is
    rate_to_usd / that currency's own rate_to_usd, rounded to 10 decimals (null when the seed
    has no rate for it).
-#}
{% macro cs_rate_to_reporting(rate_to_usd, fx_rates) -%}
    {%- set reporting_currency = var('reporting_currency', 'USD') | upper -%}
    {%- if reporting_currency == 'USD' -%}
        cast({{ rate_to_usd }} as decimal(38, 12))
    {%- else -%}
        cast({{ round_decimal(
            rate_to_usd ~ ' / (select reporting.rate_to_usd from ' ~ fx_rates ~ ' as reporting'
            ~ " where reporting.currency = '" ~ reporting_currency ~ "')",
            10, 38
        ) }} as decimal(38, 12))
    {%- endif -%}
{%- endmacro %}
