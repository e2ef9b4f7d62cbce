"""Stripe in Fivetran's schema (``landing/stripe/<export>/``, one CSV or Parquet file per table)
into the native billing tables: ``customer`` -> ``billing_accounts``, ``subscription_history``
(with ``subscription_item``, ``price`` or ``plan``, ``subscription_discount`` and ``coupon`` of the
same folder) -> ``billing_subscriptions``, ``invoice`` -> ``billing_invoices``.

A file of a lookup table (price, plan, item, coupon, discount, invoice_line_item) loads no rows
itself: it is read with the file it prices, from the same export folder (a new export = a new
folder).  The rules (DECISIONLOG "Stripe (Fivetran schema) as a landing source"):

* amounts are integers in the currency's minor units (Stripe's zero-decimal currencies as is,
  three-decimal ones / 1000, the rest / 100); anything else (``19.99``, ``$20``) is quarantined
  ``invalid_amount``; an unknown currency by the native check (``unknown_currency``);
* ``recurring_interval`` x ``interval_count``: monthly x1 stays ``month``, yearly x1 ``year``, any
  other becomes ``year`` with the price per year (week: 52 / count, month: 12 / count, day:
  365 / count, year: 1 / count), so the native MRR (/ 12) is the monthly normalisation;
* a discount whose coupon lasts ``forever`` reduces MRR (Stripe's rule: ``once`` and
  ``repeating`` coupons do not); percent as is, a fixed amount as its share of the subscription's
  price per interval (rounded to the contract's 4 decimals);
* statuses: ``active`` and ``past_due`` hold, ``trialing`` is a trial version (no MRR);
  ``unpaid``, ``paused``, ``incomplete*`` and ``canceled`` end the version before them;
  ``cancel_at_period_end`` keeps the version until its period end, with ``canceled_at``;
* proration lines never reach MRR (MRR is priced from the subscription, not from invoices);
* account: customer ``metadata.account_id`` (through ``mappings/account_map.csv`` when listed
  there), else the customer id in the map (``stripe, cus_...``); else ``unmapped_account``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.adapters.accounts import resolved_sql
from orchestration.adapters.base import Adapter, Target
from orchestration.adapters.stripe_tables import (
    ACCOUNT_LABEL,
    EXTENSIONS,
    SOURCE,
    bad_amount,
    customers_sql,
    empty_select,
    major,
    read_siblings,
    select_table,
    table_of,
)
from orchestration.adapters.stripe_versions import LIVE, TS, day_sql, subscriptions_sql
from orchestration.loading.results import FileRejected

NEEDS = {
    "customer": (),
    "invoice": ("customer",),
    "subscription_history": ("customer", "subscription_item", "price", "plan", "subscription_discount", "coupon"),
}


def read(conn: duckdb.DuckDBPyConnection, path: Path, name: str) -> str | None:
    table = table_of(name)
    if table is None:
        raise FileRejected("unknown_stripe_table: a .csv or .parquet file is named after its Fivetran table")
    conn.execute(
        f"create or replace temp table _src as select '{table}' as _table, cast(null as bigint) as _line_number, "
        f"cast(null as varchar) as _bad, * from ({select_table(conn, path, table)})"
    )
    if table in NEEDS:
        # The export's other tables from the file's own folder (a symlinked plain name resolves to it).
        read_siblings(conn, path.resolve().parent, NEEDS[table])
        return _states_note(conn) if table == "subscription_history" else None
    count = conn.execute("select count(*) from _src").fetchone()[0]
    # Nothing of its own to load; an empty history-shaped _src so the last target's SQL binds.
    conn.execute(
        "create or replace temp table _src as select 'subscription_history' as _table, cast(null as bigint) as _line_number, "
        f"cast(null as varchar) as _bad, * from ({empty_select('subscription_history')})"
    )
    read_siblings(conn, None, NEEDS["subscription_history"])  # empty: the last target's SQL still binds
    return f"{count} {table} row(s): a lookup table, read with the tables it prices"


def _states_note(conn: duckdb.DuckDBPyConnection) -> str | None:
    """How many history rows are no version (not quarantined: they are states, not bad rows)."""
    live = ", ".join(f"'{s}'" for s in LIVE)
    day = day_sql("_fivetran_start")
    ts = TS.format("_fivetran_start")
    count = conn.execute(
        f"""
        select count(*) - count(*) filter (where _last and status in ({live})) from (
            select status, row_number() over (partition by id, {day} order by {ts} desc,
                                              _row_number desc) = 1 as _last
            from _src)
        """
    ).fetchone()[0]
    if not count:
        return None
    return (
        f"{count} subscription_history row(s) are no version: a state without MRR "
        "(unpaid, paused, incomplete, canceled) or not the last of its day"
    )


def accounts_sql() -> str:
    meta = "json_extract_string(metadata, '$.{}')"
    return f"""
        select _account as account_id, coalesce(nullif(name, ''), description) as account_name,
               {meta.format("segment")} as segment, {meta.format("industry")} as industry,
               {meta.format("region")} as region, created as created_at,
               coalesce(_fivetran_synced, created) as updated_at, _row_number, _line_number,
               nullif(concat_ws('; ', _bad, _account_problem), '') as _reason
        from ({resolved_sql(SOURCE, customers_sql("_src where _table = 'customer'"), ACCOUNT_LABEL)})
    """


def invoices_sql() -> str:
    customers = f"select id as _customer, _account, _account_problem from ({resolved_sql(SOURCE, customers_sql('_st_customer'), ACCOUNT_LABEL)})"
    return f"""
        select i.id as invoice_id, coalesce(c._account, '') as account_id, i.subscription_id, i.status,
               upper(trim(i.currency)) as currency,
               cast({major("i.amount_due", "i.currency")} as varchar) as amount_due,
               cast({major("i.amount_paid", "i.currency")} as varchar) as amount_paid,
               i.created as issued_at, coalesce(i.due_date, i.created) as due_at,
               case when i.status = 'paid' then coalesce(i.status_transitions_paid_at, i.paid_at) end as paid_at,
               coalesce(i._fivetran_synced, i.created) as updated_at, i._row_number, i._line_number,
               nullif(concat_ws('; ', {bad_amount("i.amount_due", "amount_due")}, {bad_amount("i.amount_paid", "amount_paid")},
                      case when c._customer is null
                           then 'unmapped_account: customer ' || chr(39) || i.customer_id || chr(39) || ' not in the export'
                           else c._account_problem end), '') as _reason
        from _src as i left join ({customers}) as c on c._customer = i.customer_id
        where i._table = 'invoice'
    """


STRIPE_FIVETRAN = Adapter(
    folder=SOURCE,
    extensions=EXTENSIONS,
    read=read,
    targets=(
        Target("billing_accounts", accounts_sql, where="_table = 'customer'"),
        Target("billing_invoices", invoices_sql, where="_table = 'invoice'"),
        Target("billing_subscriptions", subscriptions_sql, where="_table = 'subscription_history'"),
    ),
)
