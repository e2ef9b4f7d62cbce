-- The two groupings of the events rollup count the same events: for every account and day,
-- the events of the user rows add up to the events of the event rows.
-- Fails with each (account, day) where they differ. Reads the days this run rewrote
-- (macros/rebuilt_rows.sql): a day's verdict depends on that day's rows alone.
with

activity as (

    select * from {{ rebuilt_rows(ref('int_product__activity_daily'), 'activity_date') }}

),

per_level as (

    select
        activity_date,
        account_id,
        sum(case when rollup_level = 'user' then events else 0 end) as user_events,
        sum(case when rollup_level = 'event' then events else 0 end) as event_events
    from activity
    group by 1, 2

)

select *
from per_level
where user_events <> event_events
