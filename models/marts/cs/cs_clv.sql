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

-- The sBG model's DERL per segment and tenure (empty on PostgreSQL and Spark: no model there).
derl as (

    select * from {{ ref('int_cs__sbg_derl') }}

),

-- Start month of each account's current paying spell (its new or latest reactivation month).
spell_starts as (

    select
        account_id,
        max(month) as spell_start_month
    from movements
    where movement_type in ('new', 'reactivation')
    group by 1

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

{%- set tenure = dbt.datediff('spell_starts.spell_start_month', 'current_month.month_start', 'month') %}

-- Model-based CLV of the accounts paying at the as-of date: months of tenure of the current
-- paying spell, and the DERL of an account alive that long under the fit of its segment, or
-- of `all` when its segment has none (Fader & Hardie 2010).
model_values as (

    select
        current_mrr.account_id,
        {{ tenure }} as tenure_months,
        coalesce(segment_fit.segment, all_fit.segment) as retention_model_segment,
        coalesce(segment_fit.derl_months, all_fit.derl_months) as derl_months
    from current_mrr
    cross join current_month
    inner join accounts
        on current_mrr.account_id = accounts.account_id
    inner join spell_starts
        on current_mrr.account_id = spell_starts.account_id
    left join derl as segment_fit
        on
            accounts.segment = segment_fit.segment
            and segment_fit.tenure_months = {{ tenure }}
    left join derl as all_fit
        on
            all_fit.segment = 'all'
            and all_fit.tenure_months = {{ tenure }}
    where current_mrr.ending_mrr > 0

),

final as (

    select
        accounts.account_id,
        accounts.segment,
        {{ round_decimal('coalesce(lifetime_revenue.lifetime_revenue, 0)', 6, 38) }} as lifetime_revenue,
        cast(coalesce(current_mrr.ending_mrr, 0) as {{ cs_money_type() }}) as current_mrr,
        segments.predicted_clv,
        model_values.retention_model_segment,
        model_values.tenure_months,
        model_values.derl_months,
        -- gross margin x current MRR x DERL; 0 for an account not paying at the as-of date
        -- (the model's residual value of a lost account), null without a fit to apply.
        case
            when coalesce(current_mrr.ending_mrr, 0) = 0 then 0
            when model_values.derl_months is not null
                then {{ round_decimal(
                    'current_mrr.ending_mrr * cast(' ~ var('gross_margin', 0.8) ~ ' as decimal(9, 4))'
                    ~ ' * cast(model_values.derl_months as decimal(38, 12))',
                    2, 38
                ) }}
        end as model_clv

    from accounts
    left join lifetime_revenue
        on accounts.account_id = lifetime_revenue.account_id
    left join current_mrr
        on accounts.account_id = current_mrr.account_id
    left join segments
        on accounts.segment = segments.segment
    left join model_values
        on accounts.account_id = model_values.account_id

)

select
    account_id,
    segment,
    lifetime_revenue,
    current_mrr,
    predicted_clv,
    retention_model_segment,
    cast(tenure_months as {{ dbt.type_bigint() }}) as tenure_months,
    -- A decimal, as every published number of the portable marts (a float has no type name
    -- common to DuckDB, PostgreSQL and Spark contracts).
    {{ round_decimal('derl_months', 6) }} as derl_months,
    cast(model_clv as decimal(38, 2)) as model_clv
from final
