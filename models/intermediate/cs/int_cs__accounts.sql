with

accounts as (

    select * from {{ ref('stg_billing__accounts') }}

),

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

-- Every account billing knows, plus accounts only referenced by a subscription or an invoice
-- (kept, not dropped; the staging relationships tests flag them).
account_ids as (

    select account_id from accounts
    union
    select account_id from subscriptions
    union
    select account_id from invoices

),

final as (

    select
        account_ids.account_id,
        coalesce(accounts.segment, 'unknown') as segment,
        accounts.account_id is not null as is_known_account

    from account_ids
    left join accounts
        on account_ids.account_id = accounts.account_id

)

select
    account_id,
    segment,
    is_known_account
from final
