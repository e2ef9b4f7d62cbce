"""billing/subscriptions: trials, paid terms, expansions, downgrades, annual renewals, cancellations
and reactivations, as SCD-2 versions; and the CSV rows (a version first delivered open is
re-delivered closed or canceled in a later quarter's file).

Planted signal: accounts with high adoption add seats and upgrade, low adoption sometimes
downgrades, and the probability to cancel grows as adoption falls.
"""

from __future__ import annotations

import numpy as np

from orchestration.demo_data.formatting import add_months, anniversary, quarter
from orchestration.demo_data.vocab import NEVER, TZ_P
from orchestration.demo_data.world import World


class _Terms:
    """The commercial terms of one paid subscription and, if it is canceled, when."""

    def __init__(self, annual: bool, disc: float, request: int | None, end: int | None) -> None:
        self.annual = annual
        self.interval = "year" if annual else "month"
        self.step = 12 if annual else 1
        self.disc = disc
        self.request = request  # cancellation request day (None: not canceled within the window)
        self.end = end  # service end day of the cancellation


class _SubscriptionBuilder:
    """Builds every account's subscription versions from the world's shared random stream.

    The order of the draws is the order of the original single pass (accounts in id order, each
    subscription's terms, then its changes): reordering any draw changes every later byte."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.rng = w.rng
        self.plans = w.seeds.plans
        self.versions: list[dict] = []
        self.intervals: list[list[tuple[int, int]]] = [[] for _ in range(w.n)]
        self.counter = 0

    def new_sub(self) -> str:
        self.counter += 1
        return f"sub_{self.counter:07d}"

    def price(self, plan: int, interval: str, currency: str) -> float:
        column = "list_price_per_seat_year_usd" if interval == "year" else "list_price_per_seat_month_usd"
        usd = float(self.plans[plan][column])
        return round(usd / self.w.seeds.fx[currency], 2)

    def pick_plan(self, seg: int, seats: int) -> int:
        rng = self.rng
        if seg == 0:
            tier = 0 if rng.random() < 0.6 else 1
        elif seg == 1:
            tier = 1 if (seats <= 50 and rng.random() < 0.6) else 2
        else:
            tier = 2 if (seats <= 250 and rng.random() < 0.5) else 3
        return tier

    def clip_qty(self, plan: int, qty: int) -> int:
        return int(min(max(qty, self.w.plan_min[plan]), self.w.plan_max[plan]))

    # ------------------------------------------------------------- one account
    def account(self, a: int) -> None:
        w, rng = self.w, self.rng
        s = int(w.created_day[a])
        w.first_start[a] = s
        seg = int(w.segment[a])
        plan = self.pick_plan(seg, int(w.seats[a]))
        qty = self.clip_qty(plan, int(w.seats[a]))
        sid = self.new_sub()
        if s >= w.D0 and rng.random() < 0.6:
            trial_end = s + 14
            self.versions.append(
                {
                    "subscription_id": sid,
                    "version": 1,
                    "account": a,
                    "plan": plan,
                    "is_trial": True,
                    "interval": "month",
                    "qty": qty,
                    "unit": 0.0,
                    "disc": 0.0,
                    "valid_from": s,
                    "valid_to": trial_end,
                    "contract_end": trial_end,
                    "canceled_sec": None,
                    "term_start": s,
                    "step": 1,
                }
            )
            converts = rng.random() < 0.45 + 0.5 * w.adoption[a]
            if not (converts and trial_end <= w.D1):
                self.intervals[a].append((s, trial_end))
                return
            if rng.random() < 0.8:
                C = self.paid_phase(a, sid, 2, trial_end, plan, qty, True)
            else:
                C = self.paid_phase(a, self.new_sub(), 1, trial_end, plan, qty, True)
            self.intervals[a][-1] = (s, self.intervals[a][-1][1])
        else:
            C = self.paid_phase(a, sid, 1, s, plan, qty, True)
        # reactivation: a new subscription some months after the cancellation
        if C is not None and C <= w.D1 - 30 and rng.random() < 0.2:
            again = int(C + rng.integers(30, 121))
            if again <= w.D1:
                plan = self.pick_plan(seg, int(w.seats[a]))
                self.paid_phase(a, self.new_sub(), 1, again, plan, self.clip_qty(plan, int(w.seats[a])), False)

    # ------------------------------------------------------------- one paid subscription
    def terms(self, a: int, start: int, allow_churn: bool) -> _Terms:
        w, rng = self.w, self.rng
        annual = rng.random() < 0.25
        step = 12 if annual else 1
        disc = float(rng.choice([0.0, 10.0, 20.0], p=[0.75, 0.15, 0.10]))
        # cancellation: request day r, service ends at the next term end after r
        churner = allow_churn and rng.random() < 0.15 + 0.40 * (1.0 - w.adoption[a])
        r = C = None
        if churner:
            lo = max(start + 45, w.D0)
            r = int(lo + rng.integers(0, 365))
            C = anniversary(start, step, r)
            if w.churn_day[a] == NEVER:
                w.churn_day[a] = C  # latent: also for cancellations after the window
            if r > w.D1:
                r = C = None
        return _Terms(annual, disc, r, C)

    def changes(self, adoption: float, start: int, stop: int, annual: bool) -> list[tuple[int, str]]:
        """Expansions (high adoption), a shrink (low adoption) and annual renewals before ``stop``, by day."""
        rng = self.rng
        changes: list[tuple[int, str]] = []
        span = stop - (start + 20)
        if span > 0:
            if adoption > 0.55:
                n_exp = 1 + int(rng.random() < adoption - 0.3) + int(rng.random() < adoption - 0.6)
                for _ in range(n_exp):
                    changes.append((int(start + 20 + rng.integers(0, span)), "expand"))
            elif adoption < 0.35 and rng.random() < 0.3:
                changes.append((int(start + 20 + rng.integers(0, span)), "shrink"))
        if annual:
            k = 1
            while True:
                day = int(add_months(np.array([start]), 12 * k)[0])
                if day >= stop:
                    break
                changes.append((day, "renew"))
                k += 1
        changes.sort()
        return changes

    def next_version(self, a: int, cur: dict, day: int, kind: str, annual: bool) -> dict:
        rng, w = self.rng, self.w
        currency, interval = w.currency[a], cur["interval"]
        nxt = dict(cur)
        nxt["version"] = cur["version"] + 1
        nxt["valid_from"] = day
        if kind == "expand":
            new_qty = int(np.ceil(cur["qty"] * (1 + rng.uniform(0.1, 0.5))))
            new_plan = cur["plan"]
            if (new_qty > w.plan_max[new_plan] or rng.random() < 0.15) and new_plan < len(self.plans) - 1:
                new_plan += 1
            nxt["plan"], nxt["qty"] = new_plan, self.clip_qty(new_plan, new_qty)
            if nxt["qty"] <= cur["qty"] and new_plan == cur["plan"]:
                nxt["qty"] = cur["qty"] + 1
            nxt["unit"] = self.price(nxt["plan"], interval, currency)
            if annual and cur["unit"] > nxt["unit"]:
                nxt["unit"] = cur["unit"]
        elif kind == "shrink":
            new_plan = cur["plan"]
            if rng.random() < 0.3 and new_plan > 0:
                new_plan -= 1
            new_qty = int(np.floor(cur["qty"] * (1 - rng.uniform(0.1, 0.3))))
            nxt["plan"], nxt["qty"] = new_plan, self.clip_qty(new_plan, new_qty)
            nxt["unit"] = self.price(new_plan, interval, currency)
        else:  # annual renewal: new term, sometimes at a new price
            if rng.random() < 0.3:
                nxt["unit"] = round(cur["unit"] * 1.05, 2)
            w.renewals.append((a, day))
        return nxt

    def paid_phase(
        self, a: int, sid: str, version: int, start: int, plan: int, qty: int, allow_churn: bool
    ) -> int | None:
        """Append the paid versions of one subscription; returns the service end day if it was canceled."""
        w = self.w
        t = self.terms(a, start, allow_churn)
        stop = min(t.request if t.request is not None else w.D1 + 1, w.D1 + 1)
        changes = self.changes(w.adoption[a], start, stop, t.annual)
        cur = {
            "subscription_id": sid,
            "version": version,
            "account": a,
            "plan": plan,
            "is_trial": False,
            "interval": t.interval,
            "qty": qty,
            "unit": self.price(plan, t.interval, w.currency[a]),
            "disc": t.disc,
            "valid_from": start,
            "valid_to": None,
            "contract_end": None,
            "canceled_sec": None,
            "term_start": start,
            "step": t.step,
        }
        last_day = start
        for day, kind in changes:
            if day <= last_day or day >= stop:
                continue
            nxt = self.next_version(a, cur, day, kind, t.annual)
            cur["valid_to"] = day
            self.versions.append(cur)
            cur = nxt
            last_day = day
        if t.end is not None:
            cur["valid_to"] = t.end
            cur["contract_end"] = t.end
            cur["canceled_sec"] = int(
                max(t.request, cur["valid_from"]) * 86400 + self.rng.integers(7 * 3600, 21 * 3600)
            )
        self.versions.append(cur)
        self.intervals[a].append((start, t.end if t.end is not None else NEVER))
        return t.end


def build_subscriptions(w: World) -> None:
    plans = w.seeds.plans
    w.plan_min = [int(p["min_seats"]) for p in plans]
    w.plan_max = [int(p["max_seats"]) for p in plans]
    w.churn_day = np.full(w.n, NEVER, dtype=np.int64)  # service end of the first cancellation
    w.first_start = np.full(w.n, NEVER, dtype=np.int64)
    w.renewals = []  # (account, day) of annual renewals
    builder = _SubscriptionBuilder(w)
    for a in range(w.n):
        builder.account(a)
    w.versions = builder.versions
    intervals = builder.intervals
    width = max(len(iv) for iv in intervals)
    w.iv_from = np.full((w.n, width), NEVER, dtype=np.int64)
    w.iv_to = np.full((w.n, width), NEVER, dtype=np.int64)
    for a, ivs in enumerate(intervals):
        for j, (f, t) in enumerate(ivs):
            w.iv_from[a, j], w.iv_to[a, j] = f, t


def _contract_end(w: World, v: dict, valid_to: int | None, written: int, final: bool) -> int:
    """End of the term current when the row was written (cancellation: the service end)."""
    if v["contract_end"] is not None and (final or v["is_trial"]):
        return v["contract_end"]
    if not final:
        return anniversary(v["term_start"], v["step"], written // 86400)
    if valid_to is not None:
        return anniversary(v["term_start"], v["step"], valid_to - 1)
    return anniversary(v["term_start"], v["step"], w.D1)


def _row(
    w: World, v: dict, tz: int, valid_to: int | None, canceled: int | None, written: int, final: bool = True
) -> list[str]:
    clock, a = w.clock, v["account"]
    contract_end = _contract_end(w, v, valid_to, written, final)
    return [
        v["subscription_id"],
        str(v["version"]),
        w.acct_ids[a],
        w.seeds.plans[v["plan"]]["plan_id"],
        "true" if v["is_trial"] else "false",
        v["interval"],
        str(v["qty"]),
        f"{v['unit']:.2f}",
        "" if v["disc"] == 0 and w.rng.random() < 0.3 else f"{v['disc']:.2f}",
        w.currency[a],
        clock.day(v["valid_from"]),
        "" if valid_to is None else clock.day(valid_to),
        clock.day(contract_end),
        "" if canceled is None else clock.ts(np.array([canceled]), np.array([tz]))[0],
        clock.ts(np.array([written]), np.array([tz]))[0],
    ]


def subscription_rows(w: World) -> tuple[list[list[str]], list[str]]:
    rng, clock, D1 = w.rng, w.clock, w.D1
    rows: list[list[str]] = []
    keys: list[str] = []
    for v in w.versions:
        a = v["account"]
        vf = v["valid_from"]
        created = vf * 86400 + int(rng.integers(1 * 3600, 6 * 3600))
        created = max(created, int(w.created_sec[a]))
        if v["canceled_sec"] is not None:
            updated = v["canceled_sec"]
        elif v["valid_to"] is not None and not v["is_trial"] and v["valid_to"] <= D1:
            updated = v["valid_to"] * 86400 + int(rng.integers(1 * 3600, 6 * 3600))
        else:
            updated = created
        updated = min(max(updated, created), w.end_ts)
        tz = int(rng.choice(4, p=TZ_P))
        final = _row(w, v, tz, v["valid_to"], v["canceled_sec"], updated)
        key_final = quarter(clock.day(updated // 86400))
        if updated != created and not v["is_trial"]:
            key_initial = quarter(clock.day(created // 86400))
            if key_initial != key_final:
                # first delivered while open, re-delivered closed/canceled in a later file
                rows.append(_row(w, v, tz, None, None, created, final=False))
                keys.append(key_initial)
        rows.append(final)
        keys.append(key_final)
    return rows, keys
