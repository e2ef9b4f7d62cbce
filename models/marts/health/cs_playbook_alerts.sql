{#-
    Cool-down: at most one alert per account and type within 30 days, the earliest signal
    winning. Signals are numbered per (account, type) in time order; an alert opens on the
    first signal, and the next alert opens on the first signal dated 30 or more days after
    the previous OPENED alert (day 31, counting the alert's day as day 1); one dated within
    the 29 days after it is suppressed and does not extend the cool-down. The chain is engine
    SQL (a recursive CTE on DuckDB and PostgreSQL, a fold on Spark): macros/health/cool_down.sql.
-#}
with

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

-- The signals that open an alert (numbers per account and type).
alert_chain as (

    {{ cool_down_chain('numbered', ['account_id', 'alert_type'], 'candidate_number', 'trigger_date', 30) }}

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
