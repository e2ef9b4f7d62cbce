with

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

days as (

    select * from {{ ref('int_product__days') }}

),

-- When each invoice stopped being open: paid (paid_at), void or uncollectible (updated_at,
-- the change that closed it); null while open. Drafts were never sent and never count.
sent_invoices as (

    select
        invoice_id,
        account_id,
        cast(issued_at as date) as issued_date,
        cast(due_at as date) as due_date,
        case
            when status = 'paid' then cast(coalesce(paid_at, updated_at) as date)
            when status in ('void', 'uncollectible') then cast(updated_at as date)
        end as closed_date
    from invoices
    where status <> 'draft'

),

-- An invoice is open past due at the end of day d when d is after its due date and it was
-- not closed by then: days past due = d - due date.
past_due_days as (

    select
        sent_invoices.account_id,
        days.date_day,
        sent_invoices.invoice_id,
        {{ dbt.datediff('sent_invoices.due_date', 'days.date_day', 'day') }} as days_past_due  -- noqa: LT05
    from sent_invoices
    inner join days
        on
            sent_invoices.due_date < days.date_day
            and (sent_invoices.closed_date is null or sent_invoices.closed_date > days.date_day)

),

past_due_by_day as (

    select
        account_id,
        date_day,
        count(*) as open_past_due_invoices,
        max(days_past_due) as max_days_past_due
    from past_due_days
    group by 1, 2

)

select
    account_id,
    date_day,
    cast(open_past_due_invoices as {{ dbt.type_int() }}) as open_past_due_invoices,
    cast(max_days_past_due as {{ dbt.type_int() }}) as max_days_past_due
from past_due_by_day
