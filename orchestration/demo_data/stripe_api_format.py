"""The demo's billing as Stripe API JSON Lines snapshots (``cxcs demo-data --format stripe-api``):
the native billing files are converted with DuckDB into ``stripe_api/demo/`` and removed.

* ``<day>T000000Z_subscriptions.jsonl``: one snapshot per day a version starts or ends (up to the demo's
  end date), listing every subscription that has started (``stripe subscriptions list --status
  all``): its version's price (one price id per version, minor units), quantity, trial status and
  forever coupon; ``paused`` in a gap between versions, ``canceled`` after the last one; the last
  version's end as ``cancel_at``.  Snapshots before 2025-03-31 are in the old layout
  (``current_period_*`` on the subscription, ``discount.coupon`` + ``discounts`` ids), later
  ones in 2025-03-31.basil's (on each item, ``discounts`` expanded).
* ``<last>T235959Z_customers.jsonl`` and ``..._invoices.jsonl``: current state at the last day (the
  latest delivery of each; invoices with one line, the subscription under ``parent``).

Columns the format cannot carry: the earlier deliveries of an account, a version or an invoice
(API objects are current state) and every ``updated_at`` (an API object has none: a snapshot's
export time stands in), sub-second timestamps (Stripe's are whole seconds).
"""

from __future__ import annotations

from pathlib import Path

from orchestration.demo_data.stripe_format import _cents, _q, native_billing

FOLDER = "stripe_api/demo"
BASIL = "2025-03-31"  # the first API version with the billing period on the subscription items


def _epoch(column: str) -> str:
    return f"cast(epoch(cast({column} as timestamptz)) as bigint)"


def _subscriptions_sql(day: str) -> str:
    """The subscriptions as listed at 00:00 UTC on ``day``, in the layout of that day's API."""
    basil = day >= BASIL
    period = f"current_period_start := {_epoch('valid_from')}, current_period_end := {_epoch('contract_end')}"
    coupon = "{'id': coupon_id, 'object': 'coupon', 'percent_off': cast(discount_pct as double), 'duration': 'forever'}"
    discount = f"{{'id': 'di_' || coupon_id, 'object': 'discount', 'coupon': {coupon}}}"
    if basil:  # 2025-03-31.basil: no subscription-level period, no singular discount
        discounts, layout = f"case when discounted then [{discount}] end", ""
    else:
        discounts = "case when discounted then ['di_' || coupon_id] else [] end"
        layout = f", discount := case when discounted then {discount} end, {period}"
    item = (
        "struct_pack(id := 'si_' || subscription_id, object := 'subscription_item', quantity := cast(quantity as integer), "
        "price := {'id': price_id, 'object': 'price', 'unit_amount': cents, 'currency': lower(currency), "
        "'recurring': {'interval': billing_interval, 'interval_count': 1}, 'product': plan_id}"
        + (f", {period}" if basil else "")
        + ")"
    )
    return f"""
        select unnest(struct_pack(
                   id := subscription_id, object := 'subscription', customer := 'cus_' || account_id,
                   status := status, start_date := {_epoch("first_start")},
                   cancel_at_period_end := false, cancel_at := {_epoch("cancel_at")},
                   canceled_at := {_epoch("canceled_at")}, ended_at := {_epoch("ended_at")},
                   items := {{'object': 'list', 'data': [{item}]}}, discounts := {discounts}{layout}
               ))
        from (
            select v.*, coalesce(cast(discount_pct as decimal(18, 4)), 0) > 0 as discounted,
                   case when s.kind = 'gap' then 'paused' when s.kind = 'ended' then 'canceled'
                        when is_trial = 'true' then 'trialing' else 'active' end as status,
                   case when s.kind = 'ended' then valid_to end as ended_at
            from versions as v join ({_state_sql(day)}) as s using (subscription_id, version)
        )
        order by subscription_id
    """


def _state_sql(day: str) -> str:
    """Each started subscription's version at ``day``: the one holding, else the last before."""
    return f"""
        select subscription_id, version,
               case when valid_from <= '{day}' and (valid_to is null or valid_to > '{day}') then 'holds'
                    when next_from is null then 'ended' else 'gap' end as kind
        from versions where valid_from <= '{day}'
        qualify row_number() over (partition by subscription_id order by cast(version as integer) desc) = 1
    """


CUSTOMERS = f"""
    select unnest(struct_pack(
               id := 'cus_' || account_id, object := 'customer', name := account_name, created := {_epoch("created_at")},
               metadata := {{'account_id': account_id, 'segment': segment, 'industry': industry, 'region': region}}
           ))
    from accounts order by account_id
"""
INVOICES = f"""
    select unnest(struct_pack(
               id := invoice_id, object := 'invoice', customer := 'cus_' || account_id, status := status,
               currency := lower(currency), amount_due := {_cents("amount_due", "currency")},
               amount_paid := {_cents("amount_paid", "currency")}, created := {_epoch("issued_at")},
               due_date := {_epoch("due_at")},
               status_transitions := {{'finalized_at': case when status <> 'draft' then {_epoch("issued_at")} end,
                   'paid_at': {_epoch("paid_at")}, 'voided_at': case when status = 'void' then {_epoch("updated_at")} end,
                   'marked_uncollectible_at': case when status = 'uncollectible' then {_epoch("updated_at")} end}},
               parent := case when subscription_id is not null then {{'type': 'subscription_details',
                   'subscription_details': {{'subscription': subscription_id}}}} end,
               lines := {{'object': 'list', 'data': [{{'id': 'il_' || invoice_id, 'object': 'line_item',
                   'amount': {_cents("amount_due", "currency")}, 'currency': lower(currency)}}]}}
           ))
    from invoices order by invoice_id
"""


def convert_billing_api(out: Path, entries: list[dict]) -> None:
    """Replace the native billing files of ``out`` (and their manifest ``entries``) by snapshots."""
    conn = native_billing(out)
    conn.execute(
        f"""
        create table versions as
        select *, {_cents("unit_amount", "currency")} as cents,
               min(valid_from) over (partition by subscription_id) as first_start,
               case when next_from is null then valid_to end as cancel_at
        from native_versions
        """
    )
    # The export's last day: every delivery is recorded by then (no snapshot from the future).
    last = conn.execute(
        "select max(d) from (select max(cast(cast(updated_at as timestamptz) as date)) as d from versions "
        "union all select max(cast(cast(updated_at as timestamptz) as date)) from invoices "
        "union all select max(cast(cast(updated_at as timestamptz) as date)) from accounts)"
    ).fetchone()[0]
    days = [
        str(d)
        for (d,) in conn.execute(
            "select distinct d from (select cast(valid_from as date) as d from versions "
            "union all select cast(valid_to as date) from versions) where d <= ? order by d",
            [last],
        ).fetchall()
    ]
    target = out / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    files = [(f"{day}T000000Z_subscriptions.jsonl", _subscriptions_sql(day)) for day in days]
    files += [(f"{last}T235959Z_customers.jsonl", CUSTOMERS), (f"{last}T235959Z_invoices.jsonl", INVOICES)]
    for name, select in files:
        conn.execute(f"copy ({select}) to {_q(target / name)} (format json)")
        count = conn.execute(f"select count(*) from ({select})").fetchone()[0]
        entity = {"c": "billing_accounts", "i": "billing_invoices"}.get(name.split("_")[-1][0], "billing_subscriptions")
        entries.append({"path": f"{FOLDER}/{name}", "entity": entity, "data_rows": count, "bad_rows": 0,
                        "fails_whole_file": False, "cases": []})  # fmt: skip
    conn.close()
    for entry in [e for e in entries if e["path"].startswith("billing/")]:
        entries.remove(entry)
        (out / entry["path"]).unlink()
