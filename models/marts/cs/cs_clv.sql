with

accounts as (

    select * from {{ ref('int_cs__accounts') }}

),

movements as (

    select * from {{ ref('fct_mrr_movements') }}

),

months as (

    select * from {{ ref('int_cs__months') }}

),

invoices as (

    select * from {{ ref('stg_billing__invoices') }}

),

fx_rates as (

    select * from {{ ref('int_cs__fx_rates') }}

),

segments as (

    select * from {{ ref('cs_clv_segments') }}

),

-- Current MRR: the month-end MRR of the as-of month (measured at the as-of date).
current_month as (

    select max(month_start) as month_start
    from months

),

current_mrr as (

    select
        movements.account_id,
        movements.ending_mrr
    from movements
    inner join current_month
        on movements.month = current_month.month_start

),

-- Historical CLV: amount_paid of paid invoices paid by the as-of date, in the reporting
-- currency (exact: amount x rate, both decimals).
lifetime_revenue as (

    select
        invoices.account_id,
        sum(invoices.amount_paid * fx_rates.rate_to_reporting) as lifetime_revenue
    from invoices
    inner join fx_rates
        on invoices.currency = fx_rates.currency
    where
        invoices.status = 'paid'
        and cast(coalesce(invoices.paid_at, invoices.issued_at) as date) <= {{ as_of_date() }}
    group by 1

),

final as (

    select
        accounts.account_id,
        accounts.segment,
        {{ round_decimal('coalesce(lifetime_revenue.lifetime_revenue, 0)', 6, 38) }} as lifetime_revenue,
        cast(coalesce(current_mrr.ending_mrr, 0) as {{ cs_money_type() }}) as current_mrr,
        segments.predicted_clv

    from accounts
    left join lifetime_revenue
        on accounts.account_id = lifetime_revenue.account_id
    left join current_mrr
        on accounts.account_id = current_mrr.account_id
    left join segments
        on accounts.segment = segments.segment

)

select
    account_id,
    segment,
    lifetime_revenue,
    current_mrr,
    predicted_clv
from final
