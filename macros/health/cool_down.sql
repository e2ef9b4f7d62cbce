{#-
    Cool-down chain: which signals open an alert when, per group, an alert opens on the
    earliest signal and the next alert of the group can open only `days` or more days after
    the previous OPENED alert (not after the previous signal: a suppressed signal does not
    extend the cool-down). A signal dated exactly `days` days after the last alert opens the
    next one; one dated within the `days` - 1 days after it is suppressed.

    Arguments:
      signals        a relation or CTE name, one row per signal
      partition_by   list of the columns of a group (e.g. ['account_id', 'alert_type'])
      number_column  1, 2, 3, ... per group, in signal order (row_number()); the order must
                     sort the dates ascending (e.g. ordered by the timestamp the date is taken
                     from), so among signals of one day the lowest number wins
      date_column    the signal's date (a date: the cool-down counts calendar days)
      days           length of the cool-down in days (a compile-time integer)

    Returns a select of the partition_by columns and `number_column`, one row per signal that
    opens an alert.

    The rule is a chain (each alert depends on the previous alert), not a window over the
    signals, hence one variant per engine; they give the same rows:
      default (DuckDB, PostgreSQL): each signal points to the first signal dated `days` or more
        days after it (a running count, no aggregate in the recursive step); the alerts are the
        chain of pointers from signal 1, followed by a recursive CTE;
      spark (3.5 has no recursive CTE): the group's signals in order, folded by aggregate():
        the accumulator holds the date of the last opened alert and the numbers opened so far.

    Example:
      alert_chain as (
          {{ cool_down_chain('numbered', ['account_id', 'alert_type'], 'candidate_number', 'trigger_date', 30) }}
      )
-#}
{% macro cool_down_chain(signals, partition_by, number_column, date_column, days) -%}
    {{ return(adapter.dispatch('cool_down_chain', 'cxcs')(signals, partition_by, number_column, date_column, days)) }}
{%- endmacro %}

{% macro default__cool_down_chain(signals, partition_by, number_column, date_column, days) -%}
    {%- set group_columns = partition_by | join(', ') -%}
    with recursive

    -- For each signal, how many signals of its group are dated before its cool-down ends (its
    -- date + `days`): the next possible alert is the one after them. Cool-down ends sort before
    -- signals of the same date, so a signal on that exact date is not counted.
    cool_down_timeline as (

        select
            {{ group_columns }},
            {{ date_column }} as event_date,
            1 as is_signal,
            {{ number_column }} as signal_number
        from {{ signals }}
        union all
        select
            {{ group_columns }},
            cast({{ dbt.dateadd('day', days, date_column) }} as date) as event_date,
            0 as is_signal,
            {{ number_column }} as signal_number
        from {{ signals }}

    ),

    cool_down_counted as (

        select
            {{ group_columns }},
            is_signal,
            signal_number,
            sum(is_signal) over (
                partition by {{ group_columns }}
                order by event_date, is_signal, signal_number
                rows between unbounded preceding and current row
            ) as signals_so_far
        from cool_down_timeline

    ),

    next_after_cool_down as (

        select
            {{ group_columns }},
            signal_number,
            signals_so_far + 1 as next_signal_number
        from cool_down_counted
        where is_signal = 0

    ),

    opened_chain as (

        select
            {{ group_columns }},
            signal_number,
            next_signal_number
        from next_after_cool_down
        where signal_number = 1

        union all

        select
            {%- for column in partition_by %}
            pointers.{{ column }},
            {%- endfor %}
            pointers.signal_number,
            pointers.next_signal_number
        from opened_chain
        inner join next_after_cool_down as pointers
            on
                opened_chain.next_signal_number = pointers.signal_number
                {%- for column in partition_by %}
                and opened_chain.{{ column }} = pointers.{{ column }}
                {%- endfor %}

    )

    select
        {{ group_columns }},
        signal_number as {{ number_column }}
    from opened_chain
{%- endmacro %}

{% macro spark__cool_down_chain(signals, partition_by, number_column, date_column, days) -%}
    {%- set group_columns = partition_by | join(', ') -%}
    with

    -- The group's signals as one array, in signal order (collect_list has no order of its own:
    -- array_sort orders the structs by their first field, the number, unique in a group).
    cool_down_signals as (

        select
            {{ group_columns }},
            array_sort(
                collect_list(named_struct(
                    'signal_number', cast({{ number_column }} as bigint),
                    'signal_date', {{ date_column }}
                ))
            ) as signals
        from {{ signals }}
        group by {{ group_columns }}

    ),

    -- One pass over the signals in order: the first opens an alert; a later one opens the next
    -- alert when dated `days` or more days after the last alert opened, else it is suppressed
    -- (the accumulator is unchanged, so the cool-down still counts from the last alert).
    cool_down_folded as (

        select
            {{ group_columns }},
            aggregate(
                signals,
                named_struct('last_alert_date', cast(null as date), 'opened', cast(array() as array<bigint>)),
                (state, signal) -> case
                    when size(state.opened) = 0 or signal.signal_date >= date_add(state.last_alert_date, {{ days }})
                        then named_struct(
                            'last_alert_date', signal.signal_date,
                            'opened', concat(state.opened, array(signal.signal_number))
                        )
                    else state
                end
            ).opened as opened_numbers
        from cool_down_signals

    )

    select
        {{ group_columns }},
        explode(opened_numbers) as {{ number_column }}
    from cool_down_folded
{%- endmacro %}
