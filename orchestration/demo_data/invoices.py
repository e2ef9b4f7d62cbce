"""billing/invoices: one invoice per billing period of every paid version (issued ``open``, later
``paid``, ``void``, ``uncollectible`` or still ``draft``), and the facts that trigger the billing CSAT survey.

Planted signal: accounts that will cancel pay late three times as often.
"""

from __future__ import annotations

import numpy as np

from orchestration.demo_data.formatting import add_months, dec
from orchestration.demo_data.vocab import NEVER, TZ_P
from orchestration.demo_data.world import World


def _periods(w: World, paid: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One row per billing period of every paid version: (version index, period start day), and
    per version its amount per period and account."""
    D1 = w.D1
    vf = np.array([v["valid_from"] for v in paid], dtype=np.int64)
    stop = np.array([min(v["valid_to"] if v["valid_to"] is not None else D1 + 1, D1 + 1) for v in paid], dtype=np.int64)
    step = np.array([12 if v["interval"] == "year" else 1 for v in paid], dtype=np.int64)
    # exact cents, half up: quantity * unit_amount * (1 - discount / 100)
    amount = (
        np.array(
            [(v["qty"] * round(v["unit"] * 100) * round(100 - v["disc"]) + 50) // 100 for v in paid], dtype=np.int64
        )
        / 100.0
    )
    acct = np.array([v["account"] for v in paid], dtype=np.int64)
    months = np.maximum(0, (stop - vf) // 28) // step + 2
    idx = np.repeat(np.arange(len(paid)), months)
    k = np.arange(len(idx)) - np.repeat(np.cumsum(months) - months, months)
    period = add_months(vf[idx], k * step[idx])
    keep = period < stop[idx]
    return idx[keep], period[keep], amount, acct


def invoice_rows(w: World) -> tuple[list[list[str]], list[str], dict]:
    rng, clock, D1 = w.rng, w.clock, w.D1
    paid = [v for v in w.versions if not v["is_trial"]]
    if not paid:
        return [], [], {}
    idx, period, amount, acct = _periods(w, paid)
    m = len(idx)
    issued = period * 86400 + rng.integers(0, 6 * 3600, m)
    due = issued + 14 * 86400
    churner = w.churn_day[acct[idx]] != NEVER
    late = rng.random(m) < np.where(churner, 0.3, 0.1)
    delay = np.where(late, rng.integers(20, 61, m), rng.integers(0, 11, m)) * 86400 + rng.integers(600, 8 * 3600, m)
    paid_at = issued + delay
    u = rng.random(m)
    status = np.full(m, "paid", dtype=object)
    status[paid_at > w.end_ts] = "open"
    void = u < 0.015
    uncollectible = (u >= 0.015) & (u < 0.035) & (issued + 60 * 86400 < w.end_ts)
    status[void] = "void"
    status[uncollectible] = "uncollectible"
    status[period == D1] = "draft"
    amt = amount[idx]
    is_paid = status == "paid"
    amount_paid = np.where(is_paid, amt, 0.0)
    updated = np.where(is_paid, paid_at, issued)
    updated = np.where(void, issued + rng.integers(1, 6, m) * 86400, updated)
    updated = np.where(uncollectible, issued + rng.integers(60, 91, m) * 86400, updated)
    updated = np.minimum(updated, w.end_ts)
    order = np.lexsort((idx, issued))
    tz = rng.choice(4, m, p=TZ_P).astype(np.int8)
    inv_ids = np.empty(m, dtype=object)
    inv_ids[order] = [f"inv_{i + 1:08d}" for i in range(m)]
    issued_s, due_s, paid_s, upd_s = (
        clock.ts(issued, tz),
        clock.ts(due, tz),
        clock.ts(paid_at, tz),
        clock.ts(updated, tz),
    )
    rows: list[list[str]] = []
    keys: list[str] = []
    sub_ids = [v["subscription_id"] for v in paid]
    curr = w.currency
    amt_s, paid_amt_s = dec(amt), dec(amount_paid)
    issued_key = [clock.day(x)[:7] for x in (issued // 86400).tolist()]
    updated_key = [clock.day(x)[:7] for x in (updated // 86400).tolist()]
    for j in order.tolist():
        a = int(acct[idx[j]])
        base = [inv_ids[j], w.acct_ids[a], sub_ids[idx[j]]]
        if status[j] not in ("open", "draft") and issued_key[j] != updated_key[j]:
            rows.append(base + ["open", curr[a], amt_s[j], "0.00", issued_s[j], due_s[j], "", issued_s[j]])
            keys.append(issued_key[j])
        rows.append(
            base
            + [
                status[j],
                curr[a],
                amt_s[j],
                paid_amt_s[j],
                issued_s[j],
                due_s[j],
                paid_s[j] if is_paid[j] else "",
                upd_s[j],
            ]
        )
        keys.append(updated_key[j])
    # invoices that feed the billing CSAT survey: late payers and uncollectible, a sample of the rest
    billing = (late & is_paid) | uncollectible | (is_paid & (rng.random(m) < 0.03))
    sent = np.where(is_paid, paid_at, issued + 30 * 86400) + 86400
    facts = {"acct": acct[idx][billing], "day": sent[billing] // 86400}
    return rows, keys, facts
