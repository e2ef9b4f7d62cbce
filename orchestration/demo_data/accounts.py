"""billing/accounts: who the customers are (segment, seats, region, currency, adoption, sentiment)
and the CSV rows, including a later corrections file re-delivering some accounts."""

from __future__ import annotations

import numpy as np

from orchestration.contract import SEGMENTS
from orchestration.demo_data.formatting import quarter
from orchestration.demo_data.vocab import (
    INDUSTRIES,
    NAME_A,
    NAME_B,
    NAME_SUFFIX,
    REGION_CURRENCIES,
    REGION_P,
    REGIONS,
    TZ_P,
)
from orchestration.demo_data.world import World


def build_accounts(w: World) -> None:
    rng, n, D0, D1 = w.rng, w.n, w.D0, w.D1
    w.segment = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    seats = np.empty(n, dtype=np.int64)
    seats[:] = rng.integers(3, 11, n)
    mid = w.segment == 1
    seats[mid] = rng.integers(10, 61, mid.sum())
    ent = w.segment == 2
    seats[ent] = np.round(np.exp(rng.uniform(np.log(50), np.log(500), ent.sum()))).astype(np.int64)
    w.seats = seats
    w.region = rng.choice(4, n, p=REGION_P)
    w.currency = _currencies(w, rng.random(n))
    pre = rng.random(n) < 0.25
    created_day = np.where(pre, D0 - rng.integers(1, 541, n), D0 + rng.integers(0, D1 - D0 + 1, n))
    w.created_day = created_day.astype(np.int64)
    w.created_sec = w.created_day * 86400 + rng.integers(6 * 3600, 20 * 3600, n)
    w.adoption = rng.beta(2.0, 2.0, n)
    w.sentiment = rng.normal(0.0, 1.0, n)
    w.industry_idx = rng.integers(0, len(INDUSTRIES), n)
    w.industry_missing = rng.random(n) < 0.05
    w.names = [
        f"{NAME_A[a]} {NAME_B[b]}{NAME_SUFFIX[c]}"
        for a, b, c in zip(
            rng.integers(0, len(NAME_A), n).tolist(),
            rng.integers(0, len(NAME_B), n).tolist(),
            rng.integers(0, len(NAME_SUFFIX), n).tolist(),
            strict=True,
        )
    ]
    w.acct_updated_sec = np.minimum(w.created_sec + rng.integers(60, 3 * 86400, n), w.end_ts)
    w.acct_tz = rng.choice(4, n, p=TZ_P).astype(np.int8)


def _currencies(w: World, u: np.ndarray) -> list[str]:
    """The region's currency mix, restricted to currencies the FX seed knows (``u``: one uniform per account)."""
    currencies = []
    for r, x in zip(w.region.tolist(), u.tolist(), strict=True):
        acc = 0.0
        options = [(c, p) for c, p in REGION_CURRENCIES[REGIONS[r]] if c in w.seeds.fx] or [("USD", 1.0)]
        total = sum(p for _, p in options)
        chosen = options[-1][0]
        for c, p in options:
            acc += p / total
            if x < acc:
                chosen = c
                break
        currencies.append(chosen)
    return currencies


def account_rows(w: World) -> tuple[list[list[str]], list[str], list[list[str]]]:
    rng, clock = w.rng, w.clock
    created = clock.ts(w.created_sec, w.acct_tz)
    updated = clock.ts(w.acct_updated_sec, w.acct_tz)
    rows, keys = [], []
    for a in range(w.n):
        rows.append(
            [
                w.acct_ids[a],
                w.names[a],
                SEGMENTS[w.segment[a]],
                "" if w.industry_missing[a] else INDUSTRIES[w.industry_idx[a]],
                REGIONS[w.region[a]],
                created[a],
                updated[a],
            ]
        )
        keys.append(quarter(clock.day(int(w.created_day[a]))))
    # corrections: later re-delivery of some accounts (industry filled in, segment moved up)
    corrections = []
    eligible = np.flatnonzero((w.created_day <= w.D1 - 7) & (w.industry_missing | (rng.random(w.n) < 0.03)))
    for a in eligible.tolist():
        later = int(rng.integers(int(w.acct_updated_sec[a]) + 86400, w.end_ts + 1))
        seg = int(w.segment[a])
        if not w.industry_missing[a] and seg < 2 and w.adoption[a] > 0.6:
            seg += 1
        corrections.append(
            [
                w.acct_ids[a],
                w.names[a],
                SEGMENTS[seg],
                INDUSTRIES[w.industry_idx[a]],
                REGIONS[w.region[a]],
                created[a],
                clock.ts(np.array([later]))[0],
            ]
        )
    return rows, keys, corrections
