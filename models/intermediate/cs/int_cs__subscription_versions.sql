with

subscriptions as (

    select * from {{ ref('stg_billing__subscriptions') }}

),

fx_rates as (

    select * from {{ ref('int_cs__fx_rates') }}

),

-- MRR of a version (metrics.md): quantity * unit_amount * (1 - discount_pct / 100), / 12 for
-- yearly billing, converted to the reporting currency; trials 0. The product is exact (every
-- factor a decimal); the one division (by 100 * months per interval) is rounded half away
-- from zero to 6 decimals. A currency without a rate has a null MRR (not counted; the staging
-- relationships test on currency flags it).
priced as (

    select
        subscriptions.subscription_id,
        subscriptions.version,
        subscriptions.account_id,
        subscriptions.plan_id,
        subscriptions.is_trial,
        subscriptions.billing_interval,
        subscriptions.quantity,
        subscriptions.unit_amount,
        subscriptions.discount_pct,
        subscriptions.currency,
        fx_rates.rate_to_reporting,
        subscriptions.valid_from,
        subscriptions.valid_to,
        subscriptions.contract_end,
        subscriptions.canceled_at,
        case
            when subscriptions.is_trial then cast(0 as {{ cs_money_type() }})
            else {{ cs_round(
                'cast(subscriptions.quantity as decimal(38, 0))'
                ~ ' * cast(subscriptions.unit_amount as decimal(38, 4))'
                ~ ' * cast(100 - subscriptions.discount_pct as decimal(38, 4))'
                ~ ' * fx_rates.rate_to_reporting'
                ~ ' / (100 * case subscriptions.billing_interval when \'year\' then 12 when \'month\' then 1 end)',
                6, 38
            ) }}
        end as mrr

    from subscriptions
    left join fx_rates
        on subscriptions.currency = fx_rates.currency

)

select
    subscription_id,
    version,
    account_id,
    plan_id,
    is_trial,
    billing_interval,
    quantity,
    unit_amount,
    discount_pct,
    currency,
    rate_to_reporting,
    valid_from,
    valid_to,
    contract_end,
    canceled_at,
    mrr
from priced
