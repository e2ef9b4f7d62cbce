"""Stripe ``subscription_history`` (Fivetran: one row per state, ``_fivetran_start`` /
``_fivetran_end``) -> native subscription versions, priced by the export's items, prices (or
legacy plans) and forever coupons.  The rules are listed in ``adapters.stripe_fivetran``; each
CTE below says why it is shaped as it is.
"""

from __future__ import annotations

from orchestration.adapters.accounts import resolved_sql
from orchestration.adapters.stripe_tables import ACCOUNT_LABEL, SOURCE, bad_amount, customers_sql, major

LIVE = ("active", "past_due", "trialing")  # the statuses a version holds in (trialing: no MRR)
# UTC wall time, as the loader reads a timestamp (an offset converts; none means UTC): a cast to
# timestamp would drop the offset and put a version on the wrong day.
TS = "make_timestamp(epoch_us(try_cast({} as timestamptz)))"


def day_sql(column: str) -> str:
    return f"cast({TS.format(column)} as date)"


def _history_ctes() -> str:
    """States of the history -> dated states with their items and prices (live statuses only)."""
    live = ", ".join(f"'{s}'" for s in LIVE)
    return f"""
        -- Fivetran writes a history row per change; several on one day would be empty versions
        -- ([d, d)), so a day's last state is that day's version.
        daily as (
            select *, {day_sql("_fivetran_start")} as _from
            from _src where _table = 'subscription_history'
            qualify row_number() over (partition by id, {day_sql("_fivetran_start")}
                                       order by {TS.format("_fivetran_start")} desc, _row_number desc) = 1
        ),
        -- The next state's start ends a state: unpaid, paused, incomplete and canceled states
        -- are not versions, so they end the one before them (Stripe: no MRR in those).
        stated as (
            select *, lead(_from) over (partition by id order by _from) as _next_from,
                   row_number() over (partition by id order by _from) = 1 as _first
            from daily
        ),
        prices as (
            select id, unit_amount, currency, lower(recurring_interval) as iv,
                   coalesce(try_cast(recurring_interval_count as integer), 1) as n, product_id
            from _st_price
            union all
            select id, amount, currency, lower("interval"), coalesce(try_cast(interval_count as integer), 1), product_id
            from _st_plan where id not in (select id from _st_price)
        ),
        items as (
            select h.*, si.id as _item, coalesce(si.price_id, si.plan_id) as _price_id,
                   coalesce(nullif(trim(si.quantity), ''), '1') as _qty,
                   p.id as _price, p.unit_amount as _amount, p.currency as _currency, p.iv, p.n, p.product_id,
                   {major("p.unit_amount", "p.currency")} as _unit,
                   count(si.id) over (partition by h._row_number) as _items
            from stated as h
            -- an item table synced in history mode: the item row in force on the version's day
            left join _st_subscription_item as si
                on si.subscription_id = h.id
                and (si._fivetran_start is null or {day_sql("si._fivetran_start")} <= h._from)
                and (si._fivetran_end is null or {day_sql("si._fivetran_end")} > h._from)
            left join prices as p on p.id = coalesce(si.price_id, si.plan_id)
            where h.status in ({live})
        )
    """


def _pricing_ctes() -> str:
    """Forever discounts, then the interval and discount in the native contract's terms."""
    return f"""
        -- Stripe's MRR counts only coupons that last forever (once / repeating: MRR unaffected).
        -- The discount in force on the version's first day; the latest started wins.
        discounts as (
            select d.subscription_id, c.percent_off, c.amount_off, c.currency as coupon_currency,
                   {day_sql("d.start")} as _start, {day_sql('d."end"')} as _end
            from _st_subscription_discount as d join _st_coupon as c on c.id = d.coupon_id
            where lower(c.duration) = 'forever'
        ),
        priced as (
            select i.*, d.percent_off, d.amount_off, d.coupon_currency, {major("d.amount_off", "d.coupon_currency")} as _off,
                   -- an amount off is per invoice: a share of every item's price per interval
                   sum(try_cast(i._qty as decimal(38, 0)) * i._unit) over (partition by i._row_number) as _gross
            from items as i
            left join discounts as d
                on d.subscription_id = i.id and (d._start is null or d._start <= i._from)
                and (d._end is null or d._end > i._from)
            qualify row_number() over (partition by i._row_number, i._item order by d._start desc nulls last) = 1
        ),
        shaped as (
            select p.*,
                   case when p._items > 1 then p.id || '/' || p._item else p.id end as _subscription,
                   case when p.iv = 'month' and p.n = 1 then 'month' else 'year' end as _interval,
                   -- price per year for any other interval: the native MRR divides a year by 12
                   case when p.iv = 'month' and p.n = 1 or p.iv = 'year' and p.n = 1 then p._unit
                        when p.iv = 'year' then round(p._unit / p.n, 4)
                        when p.iv = 'month' then round(p._unit * 12 / p.n, 4)
                        when p.iv = 'week' then round(p._unit * 52 / p.n, 4)
                        when p.iv = 'day' then round(p._unit * 365 / p.n, 4) end as _per_interval,
                   case when p.percent_off is not null then try_cast(p.percent_off as decimal(18, 4))
                        -- an amount off applies to invoices in its own currency only (Stripe)
                        when p._off is not null and p._gross > 0 and upper(trim(p.coupon_currency)) = upper(trim(p._currency))
                        then least(100, round(p._off * 100 / p._gross, 4))
                   end as _discount
            from priced as p
        )
    """


def subscriptions_sql() -> str:
    customers = (
        "select id as _customer, _account, _account_problem from "
        f"({resolved_sql(SOURCE, customers_sql('_st_customer'), ACCOUNT_LABEL)})"
    )
    return f"""
        with {_history_ctes()}, {_pricing_ctes()}
        select s._subscription as subscription_id,
               cast(row_number() over (partition by s._subscription order by s._from) as varchar) as version,
               coalesce(c._account, '') as account_id, coalesce(s.product_id, s._price) as plan_id,
               cast(s.status = 'trialing' as varchar) as is_trial, s._interval as billing_interval,
               s._qty as quantity, cast(cast(s._per_interval as decimal(18, 4)) as varchar) as unit_amount,
               cast(s._discount as varchar) as discount_pct, upper(trim(s._currency)) as currency,
               cast(case when s._first then least(s._from, coalesce({day_sql("s.start_date")}, s._from)) else s._from end as varchar)
                   as valid_from,
               cast(coalesce(s._next_from,
                             case when lower(s.cancel_at_period_end) = 'true' then coalesce({day_sql("s.cancel_at")}, {day_sql("s.current_period_end")}) end,
                             {day_sql("s.cancel_at")}, {day_sql("s.ended_at")}) as varchar) as valid_to,
               cast({day_sql("s.current_period_end")} as varchar) as contract_end, s.canceled_at,
               coalesce(s._fivetran_synced, s._fivetran_start) as updated_at, s._row_number, s._line_number,
               nullif(concat_ws('; ',
                   case when s._from is null then 'invalid_timestamp: _fivetran_start' end,
                   case when s._item is null then 'missing_required: subscription_item (no item of ' || chr(39) || s.id || chr(39) || ' in the export)'
                        when s._price is null then 'unknown_price: ' || chr(39) || coalesce(s._price_id, '') || chr(39) || ' is not in the export''s price or plan table' end,
                   {bad_amount("s._amount", "unit_amount")}, {bad_amount("s.amount_off", "coupon.amount_off")},
                   case when s._price is not null and s._per_interval is null and s._unit is not null
                        then 'unknown_interval: ' || coalesce(s.iv, '') end,
                   case when c._customer is null then 'unmapped_account: customer ' || chr(39) || s.customer_id || chr(39) || ' not in the export'
                        else c._account_problem end), '') as _reason
        from shaped as s left join ({customers}) as c on c._customer = s.customer_id
    """
