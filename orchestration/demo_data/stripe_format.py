"""The demo's billing as a Stripe export in Fivetran's schema (``cxcs demo-data --format
stripe-fivetran``): the native billing files are converted with DuckDB into one export folder
``stripe/demo/`` and removed.

Fivetran keeps the current state of a customer and an invoice, so the latest delivery of each is
written (``_fivetran_synced`` = its ``updated_at``); staging keeps only the latest anyway.  A
subscription version becomes a ``subscription_history`` state (``trialing`` or ``active`` from
``valid_from``; a gap before the next version a ``paused`` state; the last version's end its
``cancel_at``), priced by a ``subscription_item`` row with Fivetran's history mode on (the seats
and the price of each version: ``_fivetran_start`` / ``_fivetran_end``), a ``price`` per version
(minor units) and, for a discount, a ``forever`` coupon over the version's days.  Customers carry
``metadata.account_id`` (the account rule; no account map needed), ``segment``, ``industry`` and
``region``.  Columns the format cannot carry: the earlier deliveries of an account, a version or
an invoice (raw holds only the latest), so raw ``updated_at`` of superseded rows differs; the marts
do not.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.adapters.stripe_tables import THREE_DECIMAL, ZERO_DECIMAL

FOLDER = "stripe/demo"


def _q(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _cents(amount: str, currency: str) -> str:
    zero = ", ".join(f"'{c}'" for c in ZERO_DECIMAL)
    three = ", ".join(f"'{c}'" for c in THREE_DECIMAL)
    factor = (
        f"case when upper({currency}) in ({zero}) then 1 when upper({currency}) in ({three}) then 1000 else 100 end"
    )
    return f"cast(round(cast({amount} as decimal(18, 4)) * {factor}) as bigint)"


def _latest(files: str, key: str) -> str:
    return (
        f"(select * from read_csv({files}, header = true, all_varchar = true, quote = '\"', escape = '\"') "
        f"qualify row_number() over (partition by {key} order by cast(updated_at as timestamptz) desc) = 1)"
    )


TABLES = {
    "customer": """
        select 'cus_' || account_id as id, account_name as name,
               cast(json_object('account_id', account_id, 'segment', segment, 'industry', industry, 'region', region) as varchar)
                   as metadata,
               created_at as created, updated_at as _fivetran_synced
        from accounts order by account_id
    """,
    "subscription_history": """
        select subscription_id as id, 'cus_' || account_id as customer_id, status,
               _start as _fivetran_start, first_start as start_date, current_period_end, cancel_at, canceled_at,
               updated_at as _fivetran_synced
        from (
            select *, case when is_trial = 'true' then 'trialing' else 'active' end as status,
                   valid_from || ' 00:00:00' as _start, contract_end as current_period_end,
                   case when next_from is null then valid_to end as cancel_at
            from versions
            union all
            -- a gap between two versions: the subscription holds no version then
            select *, 'paused', valid_to || ' 00:00:00', contract_end, null
            from versions where next_from > valid_to
        )
        order by id, _fivetran_start
    """,
    "subscription_item": """
        select 'si_' || subscription_id as id, subscription_id, price_id, quantity,
               valid_from || ' 00:00:00' as _fivetran_start, coalesce(least(valid_to, next_from), next_from) as _fivetran_end
        from versions order by subscription_id, valid_from
    """,
    "price": """
        select price_id as id, {cents} as unit_amount, lower(currency) as currency,
               billing_interval as recurring_interval, 1 as recurring_interval_count, plan_id as product_id
        from versions order by price_id
    """,
    "coupon": """
        select coupon_id as id, discount_pct as percent_off, null as amount_off, null as currency, 'forever' as duration
        from versions where cast(discount_pct as decimal(18, 4)) > 0 order by coupon_id
    """,
    "subscription_discount": """
        select 'di_' || coupon_id as id, coupon_id, subscription_id, 'cus_' || account_id as customer_id,
               valid_from || ' 00:00:00' as start, coalesce(least(valid_to, next_from), next_from) || ' 00:00:00' as "end"
        from versions where cast(discount_pct as decimal(18, 4)) > 0 order by coupon_id
    """,
    "invoice": """
        select invoice_id as id, 'cus_' || account_id as customer_id, subscription_id, status, lower(currency) as currency,
               {due} as amount_due, {paid} as amount_paid, issued_at as created, due_at as due_date,
               paid_at as status_transitions_paid_at, updated_at as _fivetran_synced
        from invoices order by invoice_id
    """,
}
ENTITY = {"customer": "billing_accounts", "invoice": "billing_invoices"}  # the rest price subscriptions


def native_billing(out: Path) -> duckdb.DuckDBPyConnection:
    """A connection holding the native billing of ``out`` (each row's latest delivery): tables
    ``accounts``, ``invoices`` and view ``native_versions``, the subscription versions with the
    ids a Stripe export gives them (one price and one coupon per version) and the next version's
    start. Both Stripe formats are written from it."""
    billing = out / "billing"
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(f"create table accounts as select * from {_latest(_q(billing / 'accounts' / '*.csv'), 'account_id')}")
    conn.execute(f"create table invoices as select * from {_latest(_q(billing / 'invoices' / '*.csv'), 'invoice_id')}")
    conn.execute(
        f"""
        create view native_versions as
        select *, 'price_' || subscription_id || '_v' || version as price_id,
               'co_' || subscription_id || '_v' || version as coupon_id,
               lead(valid_from) over (partition by subscription_id order by cast(version as integer)) as next_from
        from {_latest(_q(billing / "subscriptions" / "*.csv"), "subscription_id, version")}
        """
    )
    return conn


def convert_billing(out: Path, entries: list[dict]) -> None:
    """Replace the native billing files of ``out`` (and their manifest ``entries``) by the export."""
    conn = native_billing(out)
    conn.execute(
        "create table versions as select *, "
        "min(valid_from) over (partition by subscription_id) || ' 00:00:00' as first_start from native_versions"
    )
    target = out / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    for table, sql in TABLES.items():
        select = sql.format(
            cents=_cents("unit_amount", "currency"),
            due=_cents("amount_due", "currency"),
            paid=_cents("amount_paid", "currency"),
        )
        path = target / f"{table}.csv"
        conn.execute(f"copy ({select}) to {_q(path)} (header, delimiter ',')")
        count = conn.execute(f"select count(*) from ({select})").fetchone()[0]
        entries.append(
            {
                "path": path.relative_to(out).as_posix(),
                "entity": ENTITY.get(table, "billing_subscriptions"),
                "data_rows": count,
                "bad_rows": 0,
                "fails_whole_file": False,
                "cases": [],
            }
        )
    conn.close()
    for entry in [e for e in entries if e["path"].startswith("billing/")]:
        entries.remove(entry)
        (out / entry["path"]).unlink()
