{#-
    Cool-down: at most one alert per account and type within 30 days, the earliest signal
    winning. Signals are ordered per (account, type); each points to the first later signal
    dated at least 30 days after it; the alerts are the chain that starts at the first signal
    and follows those pointers (a recursive CTE over precomputed pointers: no aggregate in the
    recursive step, standard SQL on DuckDB and PostgreSQL). A signal 30 days after the last
    alert (day 31, counting the alert's day as day 1) opens a new alert; one dated within the
    29 days after it is suppressed.
-#}
with recursive

candidates as (

    select * from {{ ref('int_health__alert_candidates') }}

),

numbered as (

    select
        *,
        row_number() over (
            partition by account_id, alert_type
            order by triggered_at, source_id
        ) as candidate_number
    from candidates

),

-- For each signal, how many signals of its (account, type) are dated before its cool-down
-- ends (its date + 30 days): the next possible alert is the one after them. Cool-down ends
-- sort before signals of the same date, so a signal on that exact date is not counted.
timeline as (

    select
        account_id,
        alert_type,
        trigger_date as event_date,
        1 as is_signal,
        candidate_number
    from numbered
    union all
    select
        account_id,
        alert_type,
        cast({{ dbt.dateadd('day', 30, 'trigger_date') }} as date) as event_date,
        0 as is_signal,
        candidate_number
    from numbered

),

counted as (

    select
        account_id,
        alert_type,
        is_signal,
        candidate_number,
        sum(is_signal) over (
            partition by account_id, alert_type
            order by event_date, is_signal, candidate_number
            rows between unbounded preceding and current row
        ) as signals_so_far
    from timeline

),

next_after_cool_down as (

    select
        account_id,
        alert_type,
        candidate_number,
        signals_so_far + 1 as next_candidate_number
    from counted
    where is_signal = 0

),

alert_chain as (

    select
        account_id,
        alert_type,
        candidate_number,
        next_candidate_number
    from next_after_cool_down
    where candidate_number = 1

    union all

    select
        pointers.account_id,
        pointers.alert_type,
        pointers.candidate_number,
        pointers.next_candidate_number
    from alert_chain
    inner join next_after_cool_down as pointers
        on
            alert_chain.account_id = pointers.account_id
            and alert_chain.alert_type = pointers.alert_type
            and alert_chain.next_candidate_number = pointers.candidate_number

),

final as (

    select
        numbered.account_id,
        numbered.alert_type,
        numbered.triggered_at,
        numbered.trigger_date,
        numbered.priority,
        numbered.reason,
        numbered.source_type,
        numbered.source_id,
        numbered.source_date,
        numbered.signal_value,
        cast({{ dbt.dateadd('day', 29, 'numbered.trigger_date') }} as date) as cool_down_until
    from numbered
    inner join alert_chain
        on
            numbered.account_id = alert_chain.account_id
            and numbered.alert_type = alert_chain.alert_type
            and numbered.candidate_number = alert_chain.candidate_number

)

select
    {{ dbt.concat([
        "alert_type", "':'", "account_id", "':'", "cast(trigger_date as " ~ dbt.type_string() ~ ")",
    ]) }} as alert_id,
    account_id,
    alert_type,
    triggered_at,
    priority,
    reason,
    source_id,
    source_type,
    source_date,
    signal_value,
    trigger_date,
    cool_down_until
from final
