"""Stripe API snapshots (``_sa_rec``: every parsed line of a folder's snapshots, ``_self`` = the
file being loaded) -> the tables the Fivetran adapter prices (``adapters.stripe_versions``):
``_src`` (the file's customers and invoices, its unreadable lines, and one
``subscription_history`` state per change) and ``_st_customer``, ``_st_subscription_item``,
``_st_price``, ``_st_plan``, ``_st_coupon``, ``_st_subscription_discount``.

A state is what a subscription's snapshots agree on: status, ``cancel_at_period_end``,
``cancel_at``, the items (id, price, quantity) and the coupons.  Consecutive snapshots (by export
time) with the same state are one state (a renewal, which moves ``current_period_*``, is no
change of terms); a change opens a new state at the export time of the snapshot showing it.  A
subscription missing from a later snapshot that lists subscriptions has ended then (``stripe
subscriptions list`` leaves canceled ones out unless ``--status all``).
"""

from __future__ import annotations

import duckdb

from orchestration.adapters.base import text

FMT = "'%Y-%m-%d %H:%M:%S'"
ITEM_SPEC = '[{"id": "VARCHAR", "quantity": "JSON", "price": "JSON", "plan": "JSON", "current_period_end": "JSON"}]'
UNEXPANDED = (
    "unexpanded_discount: discounts holds ids only (export with expand[]=data.discounts, so each coupon can be priced)"
)


def ts(expr: str) -> str:
    """A Stripe timestamp (Unix seconds; dlt may write ISO text) as UTC wall time text."""
    return (
        f"case when json_type({expr}) in ('BIGINT', 'UBIGINT') "
        f"then strftime(make_timestamp(cast({expr} as bigint) * 1000000), {FMT}) "
        f"when json_type({expr}) = 'VARCHAR' then {expr} ->> '$' end"
    )


def json_text(expr: str) -> str:
    """A JSON value as delivered (a string keeps its quotes, so ``"2000"`` is no integer amount)."""
    return f"nullif(cast({expr} as varchar), 'null')"


def ref(expr: str) -> str:
    """An id, or an expanded object's id (``customer``, ``product``, ``subscription``)."""
    return f"coalesce({expr} ->> '$.id', case when json_type({expr}) = 'VARCHAR' then {expr} ->> '$' end)"


def _objects(conn: duckdb.DuckDBPyConnection) -> None:
    """Subscriptions (the last line of one id per export time), their items and their coupons."""
    conn.execute(
        f"""
        create or replace temp table _sa_subs as
        select d.id as sid, {ref("d.customer")} as customer_id, lower(d.status) as status, _export, _file,
               _line_number, line, {ts("d.start_date")} as start_date, {json_text("d.cancel_at_period_end")} as cape,
               {ts("d.cancel_at")} as cancel_at, {ts("d.canceled_at")} as canceled_at, {ts("d.ended_at")} as ended_at,
               {ts("d.current_period_end")} as period_end, d.items, d.discount, d.discounts
        from _sa_rec where _bad is null and d.object = 'subscription' and d.id is not null
        qualify row_number() over (partition by d.id, _export order by _self, _file desc, _line_number desc) = 1
        """
    )
    conn.execute(
        f"""
        create or replace temp table _sa_items as
        select sid, _export, i.id as item_id, i.price, i.plan,
               coalesce({text("i.quantity")}, '1') as quantity, {ts("i.current_period_end")} as period_end
        from (select sid, _export, unnest(from_json(items -> '$.data', '{ITEM_SPEC}')) as i from _sa_subs)
        """
    )
    conn.execute(
        """
        create or replace temp table _sa_coupons as
        select distinct sid, _export, coupon ->> '$.id' as coupon_id, coupon
        from (
            select sid, _export, coalesce(discount -> '$.coupon', discount -> '$.source.coupon') as coupon
            from _sa_subs where json_type(discount) = 'OBJECT'
            union all
            select sid, _export, coalesce(e -> '$.coupon', e -> '$.source.coupon')
            from (select sid, _export, unnest(from_json(discounts, '["JSON"]')) as e from _sa_subs
                  where json_type(discounts) = 'ARRAY')
            where json_type(e) = 'OBJECT'
        )
        where (coupon ->> '$.id') is not null
        """
    )
    # 2025-03-31.basil moved the billing period from the subscription to each item.
    conn.execute(
        "update _sa_subs as s set period_end = (select max(i.period_end) from _sa_items as i "
        "where i.sid = s.sid and i._export = s._export) where s.period_end is null"
    )


def _runs(conn: duckdb.DuckDBPyConnection) -> None:
    """``_sa_runs``: one row per state (a run of equal snapshots), with the next state's start."""
    conn.execute(
        """
        create or replace temp table _sa_runs as
        with listed as (select distinct _export from _sa_subs),
        keyed as (
            select s.*,
                   concat_ws('|', s.status, s.cape, s.cancel_at,
                             (select string_agg(i.item_id || ':' || coalesce(i.price ->> '$.id', i.plan ->> '$.id', '')
                                                || ':' || i.quantity, ',' order by i.item_id)
                              from _sa_items as i where i.sid = s.sid and i._export = s._export),
                             (select string_agg(c.coupon_id, ',' order by c.coupon_id)
                              from _sa_coupons as c where c.sid = s.sid and c._export = s._export)) as _key
            from _sa_subs as s
        ),
        -- absent from a later snapshot that lists subscriptions: ended at that snapshot
        gone as (
            select k.sid, k.customer_id, 'canceled' as status, l._export, k._file, k._line_number, k.line,
                   k.start_date, k.cape, k.cancel_at, k.canceled_at, strftime(l._export, '%Y-%m-%d %H:%M:%S') as ended_at,
                   k.period_end, null as items, null as discount, null as discounts, 'gone' as _key
            from (select * from keyed qualify row_number() over (partition by sid order by _export desc) = 1) as k
            join listed as l on l._export > k._export
            where k.status not in ('canceled', 'incomplete_expired')
            qualify row_number() over (partition by k.sid order by l._export) = 1
        ),
        states as (
            select *, sum(case when _key is not distinct from _prev then 0 else 1 end)
                          over (partition by sid order by _export rows unbounded preceding) as _run
            from (select *, lag(_key) over (partition by sid order by _export) as _prev
                  from (select * from keyed union all by name select * from gone))
        )
        -- a state's terms are its first snapshot's (equal throughout); the rest its latest snapshot's
        select sid, _run, min(_export) as _from,
               arg_min_null(_file, _export) as _file, arg_min_null(_line_number, _export) as _line_number,
               arg_min_null(line, _export) as line, arg_max_null(customer_id, _export) as customer_id,
               arg_min_null(status, _export) as status, arg_max_null(start_date, _export) as start_date,
               arg_min_null(cape, _export) as cape, arg_min_null(cancel_at, _export) as cancel_at,
               arg_max_null(canceled_at, _export) as canceled_at, arg_max_null(ended_at, _export) as ended_at,
               arg_max_null(period_end, _export) as period_end, arg_min_null(discounts, _export) as discounts,
               arg_min_null(discount, _export) as discount
        from states group by sid, _run
        """
    )
    conn.execute(
        "create or replace temp table _sa_runs as select *, lead(_from) over (partition by sid order by _from) as _to "
        "from _sa_runs"
    )


def _lookups(conn: duckdb.DuckDBPyConnection) -> None:
    """The Fivetran adapter's item (history mode: one row per state), price, plan, coupon and
    discount tables; a price or coupon id's latest object wins (Stripe prices are immutable)."""
    window = f"strftime(r._from, {FMT}) as _fivetran_start, strftime(r._to, {FMT}) as _fivetran_end"
    conn.execute(
        f"""
        create or replace temp table _st_subscription_item as
        select i.item_id as id, r.sid as subscription_id, i.price ->> '$.id' as price_id,
               case when i.price is null then i.plan ->> '$.id' end as plan_id, i.quantity, {window}
        from _sa_runs as r join _sa_items as i on i.sid = r.sid and i._export = r._from
        """
    )
    prices = "select price as p, _export from _sa_items where json_type(price) = 'OBJECT'"
    conn.execute(
        f"""
        create or replace temp table _st_price as
        select p ->> '$.id' as id, {json_text("p -> '$.unit_amount'")} as unit_amount, p ->> '$.currency' as currency,
               p -> '$.recurring' ->> '$.interval' as recurring_interval,
               {text("p -> '$.recurring' -> '$.interval_count'")} as recurring_interval_count,
               {ref("p -> '$.product'")} as product_id
        from ({prices}) qualify row_number() over (partition by p ->> '$.id' order by _export desc) = 1
        """
    )
    plans = "select plan as p, _export from _sa_items where price is null and json_type(plan) = 'OBJECT'"
    conn.execute(
        f"""
        create or replace temp table _st_plan as
        select p ->> '$.id' as id, {json_text("p -> '$.amount'")} as amount, p ->> '$.currency' as currency,
               p ->> '$.interval' as "interval", {text("p -> '$.interval_count'")} as interval_count,
               {ref("p -> '$.product'")} as product_id
        from ({plans}) qualify row_number() over (partition by p ->> '$.id' order by _export desc) = 1
        """
    )
    conn.execute(
        f"""
        create or replace temp table _st_coupon as
        select coupon_id as id, {text("coupon -> '$.percent_off'")} as percent_off,
               {json_text("coupon -> '$.amount_off'")} as amount_off, coupon ->> '$.currency' as currency,
               coupon ->> '$.duration' as duration
        from _sa_coupons qualify row_number() over (partition by coupon_id order by _export desc) = 1
        """
    )
    conn.execute(
        f"""
        create or replace temp table _st_subscription_discount as
        select c.coupon_id, r.sid as subscription_id, {window.replace("_fivetran_start", "start").replace("_fivetran_end", '"end"')}
        from _sa_runs as r join _sa_coupons as c on c.sid = r.sid and c._export = r._from
        """
    )
    conn.execute(
        f"""
        create or replace temp table _st_customer as
        select d.id, d.name, d.description, cast(d.metadata as varchar) as metadata, {ts("d.created")} as created,
               strftime(_export, {FMT}) as _fivetran_synced
        from _sa_rec where _bad is null and d.object = 'customer' and d.id is not null
                       and coalesce(cast(d.deleted as varchar), 'false') <> 'true'
        qualify row_number() over (partition by d.id order by _export desc, _self desc, _line_number desc) = 1
        """
    )


def _last_transition() -> str:
    """An invoice's ``updated_at``: its latest status change (``status_transitions``), as the
    native contract's (the health marts date a void or uncollectible invoice's closing by it);
    an invoice with none (a draft) is as of the snapshot."""
    moments = ", ".join(
        ts(f"d.status_transitions -> '$.{k}'")
        for k in ("finalized_at", "paid_at", "voided_at", "marked_uncollectible_at")
    )
    return f"greatest({moments})"


def _source(conn: duckdb.DuckDBPyConnection, derive: bool) -> None:
    """``_src``: the file's own records (row number = line), then one history row per state."""
    own = "from _sa_rec where _self"
    synced = f"strftime(_export, {FMT}) as _fivetran_synced"
    conn.execute(
        f"""
        create or replace temp table _src as
        select 'customer' as _table, _line_number as _row_number, _line_number, line, _bad, d.id, d.name,
               d.description, cast(d.metadata as varchar) as metadata, {ts("d.created")} as created, {synced}
        {own} and _bad is null and d.object = 'customer'
        union all by name
        select 'invoice' as _table, _line_number as _row_number, _line_number, line, _bad, d.id, {ref("d.customer")} as customer_id,
               coalesce({ref("d.subscription")}, d.parent -> '$.subscription_details' ->> '$.subscription') as subscription_id,
               d.status, d.currency, {json_text("d.amount_due")} as amount_due, {json_text("d.amount_paid")} as amount_paid,
               {ts("d.created")} as created, {ts("d.due_date")} as due_date,
               {ts("d.status_transitions -> '$.paid_at'")} as status_transitions_paid_at,
               cast(null as varchar) as paid_at, coalesce({_last_transition()}, strftime(_export, {FMT})) as _fivetran_synced
        {own} and _bad is null and d.object = 'invoice'
        union all by name
        select 'bad' as _table, _line_number as _row_number, _line_number, line,
               coalesce(_bad, 'unsupported_object: ' || coalesce(chr(39) || d.object || chr(39), 'no object field')
                              || ' (one customer, subscription or invoice object per line)') as _bad
        {own} and (_bad is not null or d.object is null or d.object not in ('customer', 'subscription', 'invoice'))
        union all by name
        select 'subscription_history' as _table,
               (select coalesce(max(_line_number), 0) from _sa_rec where _self)
                   + row_number() over (order by r.sid, r._from) as _row_number,
               r._line_number, r.line, r.sid as id, r.customer_id, r.status, strftime(r._from, {FMT}) as _fivetran_start,
               r.start_date, r.cape as cancel_at_period_end, r.cancel_at, r.canceled_at, r.ended_at,
               r.period_end as current_period_end,
               (select strftime(max(_export), {FMT}) from _sa_rec) as _fivetran_synced,
               case when exists (select 1 from (select unnest(from_json(r.discounts, '["JSON"]')) as e)
                                 where json_type(e) = 'VARCHAR' and (e ->> '$') is distinct from (r.discount ->> '$.id'))
                    then '{UNEXPANDED}' end as _unexpanded
        from _sa_runs as r where {derive}
        """
    )


def build_states(conn: duckdb.DuckDBPyConnection, derive: bool) -> None:
    """The tables above; without ``derive`` no subscription state (the folder's newest snapshot
    derives them), the customers still read for the invoices' accounts."""
    if not derive:  # the subscriptions are left to the folder's newest snapshot (the note counts them)
        conn.execute(
            "create or replace temp table _sa_own_subs as select count(*) as n from _sa_rec where _self and d.object = 'subscription'"
        )
        conn.execute("delete from _sa_rec where d.object = 'subscription'")
    _objects(conn)
    _runs(conn)
    _lookups(conn)
    _source(conn, derive)
    for table in ("_sa_subs", "_sa_items", "_sa_coupons", "_sa_runs"):
        conn.execute(f"drop table if exists {table}")


def unexpanded_sql() -> str:
    """A state priced without a coupon it holds only as an id is quarantined, not under-discounted."""
    return "select _row_number, _unexpanded as _problem from _src where _unexpanded is not null"
