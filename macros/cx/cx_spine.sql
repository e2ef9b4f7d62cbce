{#-
    A dense series of periods (days or months) between two dates, inclusive, portable:
    dbt's own cross-database macros only (dbt.generate_series for the integers,
    dbt.dateadd and dbt.datediff for the calendar), no recursive CTE, no engine function.

    Arguments:
      datepart      'day' or 'month'
      bounds        a relation or CTE name with one row holding the two bounds (no row, or a
                    null bound, gives no periods)
      start_column  column of `bounds` with the first period start (a date; for months the
                    first day of the month)
      end_column    column of `bounds` with the last period start (inclusive)
      max_periods   compile-time cap on the number of periods (the integers generated)

    Returns a select of one column, `period_start` (date), one row per period.

    Example:
      months as (
          {{ cx_period_spine('month', 'bounds', 'first_month', 'last_month', 1200) }}
      )
-#}
{% macro cx_period_spine(datepart, bounds, start_column, end_column, max_periods) -%}
    select
        cast(
            {{ dbt.dateadd(datepart, 'series.generated_number - 1', 'spine_bounds.' ~ start_column) }} as date
        ) as period_start
    from {{ bounds }} as spine_bounds
    cross join ({{ dbt.generate_series(max_periods) }}) as series
    where
        series.generated_number - 1
        <= {{ dbt.datediff('spine_bounds.' ~ start_column, 'spine_bounds.' ~ end_column, datepart) }}
{%- endmacro %}
