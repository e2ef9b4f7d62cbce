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
            else {{ round_decimal(
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

),

-- A later version closes the earlier ones (DECISIONLOG: "A later subscription version closes
-- the earlier ones"): a subscription-history table means "from valid_from on, this version
-- holds", so an earlier version still open (or ending later) when a higher version starts
-- holds only until that start. The earliest start among all higher versions is used, not
-- just the next one's, so no two versions of a subscription ever share a day (their MRR
-- would be counted twice: 30 + 75 = 105 instead of 75).
later_starts as (

    select
        *,
        min(valid_from) over (
            partition by subscription_id
            order by version
            rows between 1 following and unbounded following
        ) as next_valid_from
    from priced

),

closed as (

    select
        *,
        case
            when next_valid_from is null then valid_to
            -- Superseded from its first day: it holds no day ([valid_from, valid_from) is empty).
            when next_valid_from <= valid_from then valid_from
            when valid_to is null or next_valid_from < valid_to then next_valid_from
            else valid_to
        end as effective_valid_to
    from later_starts

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
    effective_valid_to as valid_to,
    valid_to as delivered_valid_to,
    contract_end,
    canceled_at,
    mrr
from closed
