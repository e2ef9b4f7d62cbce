{{ config(materialized='table') }}

with

versions as (

    select * from {{ ref('int_cs__subscription_versions') }}

),

days as (

    select * from {{ ref('int_product__days') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

first_invoices as (

    select
        account_id,
        cast(min(issued_at) as date) as first_invoice_date
    from invoices
    where status <> 'draft'
    group by 1

),

first_starts as (

    select
        account_id,
        min(valid_from) as first_start_date
    from versions
    group by 1

),

-- Every version in force at the end of each day of the product history
-- (valid_from <= day < valid_to, open valid_to = still in force).
versions_in_force as (

    select
        versions.account_id,
        days.date_day,
        versions.is_trial,
        versions.quantity,
        versions.mrr
    from days
    inner join versions
        on {{ cs_is_in_force('versions', 'days.date_day') }}

),

account_days as (

    select
        account_id,
        date_day,
        sum(case when not is_trial then coalesce(mrr, 0) else 0 end) as mrr,
        sum(case when not is_trial then quantity else 0 end) as licensed_seats,
        sum(case when is_trial then quantity else 0 end) as trial_seats,
        max(case when is_trial then 1 else 0 end) as has_trial_version
    from versions_in_force
    group by 1, 2

),

final as (

    select
        account_days.account_id,
        account_days.date_day,
        cast(account_days.mrr as {{ cs_money_type() }}) as mrr,
        cast(account_days.licensed_seats as {{ dbt.type_int() }}) as licensed_seats,
        cast(account_days.trial_seats as {{ dbt.type_int() }}) as trial_seats,
        account_days.mrr > 0 as is_paying,
        account_days.mrr <= 0 and account_days.has_trial_version = 1 as is_trial,
        first_starts.first_start_date,
        cast(
            {{ dbt.datediff('first_starts.first_start_date', 'account_days.date_day', 'day') }}
            as {{ dbt.type_int() }}
        ) as tenure_days,
        first_invoices.first_invoice_date
    from account_days
    inner join first_starts
        on account_days.account_id = first_starts.account_id
    left join first_invoices
        on account_days.account_id = first_invoices.account_id

)

select
    account_id,
    date_day,
    mrr,
    licensed_seats,
    trial_seats,
    is_paying,
    is_trial,
    first_start_date,
    tenure_days,
    first_invoice_date
from final
