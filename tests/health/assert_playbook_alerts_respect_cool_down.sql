-- Cool-down: no two alerts of the same account and type less than 30 days apart
-- (trigger dates). Fails with each pair that is too close.
with

alerts as (

    select * from {{ ref('cs_playbook_alerts') }}

),

ordered as (

    select
        alert_id,
        account_id,
        alert_type,
        trigger_date,
        lag(trigger_date) over (
            partition by account_id, alert_type
            order by trigger_date, alert_id
        ) as previous_trigger_date
    from alerts

),

too_close as (

    select
        alert_id,
        account_id,
        alert_type,
        trigger_date,
        previous_trigger_date
    from ordered
    where
        previous_trigger_date is not null
        and trigger_date < cast({{ dbt.dateadd('day', 30, 'previous_trigger_date') }} as date)

)

select * from too_close
