{#-
    Support signals per account and day, the health score's `support` component. A ticket's
    state on day d is its latest state written by the end of d (stg_support__ticket_states;
    the as-of convention, macros/as_of_date.sql): a ticket opened urgent on the 3rd and solved
    on the 10th is open and urgent on days 3 .. 9. On each day d:
      open_urgent_tickets = tickets whose state on d is urgent and not solved or closed;
      bad_ratings_30d     = tickets whose state on d holds a bad rating given on d-29 .. d
                            (the trailing-window convention of int_support__account_signals,
                            so day D here equals customer_360's figures as of D).
    Dense from the first day a ticket of the account is known. The health mart reads an account
    without a row as 0 and 0 once any ticket is known (no ticket is a fact), and the component as
    missing before that (a warehouse without support data).
-#}
{{ config(materialized='table') }}

with

states as (

    select * from {{ ref('stg_support__ticket_states') }}

),

days as (

    select * from {{ ref('int_product__days') }}

),

-- The days each state holds: from the day it was written to the day the next state of the
-- ticket was written (exclusive). A state replaced on its own day never holds at a day's end.
spans as (

    select
        account_id,
        priority,
        status,
        satisfaction_rating,
        cast(satisfaction_rated_at as date) as rated_date,
        cast(updated_at as date) as valid_from,
        cast(lead(updated_at) over (partition by ticket_id order by updated_at) as date) as valid_to
    from states

),

held as (

    select * from spans
    where valid_to is null or valid_to > valid_from

),

open_urgent_days as (

    select
        held.account_id,
        days.date_day,
        count(*) as open_urgent_tickets
    from held
    inner join days
        on
            held.valid_from <= days.date_day
            and (held.valid_to is null or held.valid_to > days.date_day)
    where held.priority = 'urgent' and held.status not in ('solved', 'closed')
    group by 1, 2

),

-- A bad rating counts on the days its state holds that fall in rated_date .. rated_date + 29.
bad_rating_days as (

    select
        held.account_id,
        days.date_day,
        count(*) as bad_ratings_30d
    from held
    inner join days
        on
            held.valid_from <= days.date_day
            and (held.valid_to is null or held.valid_to > days.date_day)
            and held.rated_date <= days.date_day
            and cast({{ dbt.dateadd('day', 29, 'held.rated_date') }} as date) >= days.date_day
    where held.satisfaction_rating = 'bad'
    group by 1, 2

),

first_known as (

    select
        account_id,
        min(valid_from) as first_ticket_date
    from spans
    group by 1

),

account_days as (

    select
        first_known.account_id,
        days.date_day
    from first_known
    inner join days
        on first_known.first_ticket_date <= days.date_day

)

select
    cast(account_days.account_id as {{ dbt.type_string() }}) as account_id,
    cast(account_days.date_day as date) as date_day,
    cast(coalesce(open_urgent_days.open_urgent_tickets, 0) as {{ dbt.type_int() }}) as open_urgent_tickets,
    cast(coalesce(bad_rating_days.bad_ratings_30d, 0) as {{ dbt.type_int() }}) as bad_ratings_30d
from account_days
left join open_urgent_days
    on
        account_days.account_id = open_urgent_days.account_id
        and account_days.date_day = open_urgent_days.date_day
left join bad_rating_days
    on
        account_days.account_id = bad_rating_days.account_id
        and account_days.date_day = bad_rating_days.date_day
