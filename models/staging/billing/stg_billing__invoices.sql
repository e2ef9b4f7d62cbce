with

source as (

    select * from {{ source('billing', 'invoices') }}

),

latest as (

    {{ dedupe_latest('source', ['invoice_id'], updated_at='updated_at') }}

),

renamed as (

    select
        cast(invoice_id as {{ dbt.type_string() }}) as invoice_id,
        cast(account_id as {{ dbt.type_string() }}) as account_id,
        cast(nullif(trim(subscription_id), '') as {{ dbt.type_string() }}) as subscription_id,
        cast(lower(trim(status)) as {{ dbt.type_string() }}) as status,
        cast(upper(trim(currency)) as {{ dbt.type_string() }}) as currency,
        cast(amount_due as decimal(18, 4)) as amount_due,
        cast(amount_paid as decimal(18, 4)) as amount_paid,
        cast(issued_at as {{ dbt.type_timestamp() }}) as issued_at,
        cast(due_at as {{ dbt.type_timestamp() }}) as due_at,
        cast(paid_at as {{ dbt.type_timestamp() }}) as paid_at,
        cast(updated_at as {{ dbt.type_timestamp() }}) as updated_at,
        _batch_id,
        _loaded_at

    from latest
    -- The as-of cut (macros/as_of_date.sql): an invoice exists from the instant it was issued;
    -- a payment or write-off after D is judged by its date downstream.
    where {{ recorded_by_as_of('issued_at') }}

)

select
    invoice_id,
    account_id,
    subscription_id,
    status,
    currency,
    amount_due,
    amount_paid,
    issued_at,
    due_at,
    paid_at,
    updated_at,
    _batch_id,
    _loaded_at
from renamed
