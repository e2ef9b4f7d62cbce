-- An account is `new` exactly once, in its first month of fct_mrr_movements; every later
-- return after a month end at 0 is a reactivation. Fails with each account that breaks it.
with

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

accounts as (

    select
        account_id,
        min(month) as first_month,
        sum(case when movement_type = 'new' then 1 else 0 end) as new_movements,
        min(case when movement_type = 'new' then month end) as new_month
    from movements
    group by 1

)

select
    account_id,
    first_month,
    new_movements,
    new_month
from accounts
where
    new_movements <> 1
    or new_month <> first_month
