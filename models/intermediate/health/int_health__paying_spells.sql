with

account_days as (

    select * from {{ ref('int_health__account_days') }}

),

paying_days as (

    select
        account_id,
        date_day,
        row_number() over (partition by account_id order by date_day) as day_number
    from account_days
    where is_paying

),

-- Consecutive paying days share date_day - day_number (gaps and islands).
keyed as (

    select
        account_id,
        date_day,
        cast({{ dbt.dateadd('day', '-day_number', 'date_day') }} as date) as spell_key
    from paying_days

),

final as (

    select
        account_id,
        spell_key,
        min(date_day) as paying_from,
        cast({{ dbt.dateadd('day', 1, 'max(date_day)') }} as date) as paying_until
    from keyed
    group by 1, 2

)

select
    account_id,
    cast(paying_from as date) as paying_from,
    cast(paying_until as date) as paying_until
from final
