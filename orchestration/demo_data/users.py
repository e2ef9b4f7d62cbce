"""product/users and the product vocabulary events draw from: users per account (engagement follows
adoption), the features and properties of each event kind, and the onboarding milestones.

Planted signal: milestone events follow the first subscription start with a spread, and ~15%
of new accounts stop before completing them all.
"""

from __future__ import annotations

import json

import numpy as np

from orchestration.demo_data.formatting import quarter
from orchestration.demo_data.vocab import (
    EVENT_NAMES,
    EXPORT_FORMATS,
    EXTRA_FEATURES,
    FIRST_NAMES,
    INTEGRATIONS,
    INVITE_ROLES,
    LAST_NAMES,
    NEVER,
    PLATFORMS,
    TZ_P,
)
from orchestration.demo_data.world import World


def build_users(w: World) -> None:
    rng, n = w.rng, w.n
    n_users = np.maximum(1, np.round(w.seats * 0.8 * rng.uniform(0.85, 1.1, n))).astype(np.int64)
    w.n_users = n_users
    w.first_user = np.cumsum(n_users) - n_users
    total = int(n_users.sum())
    w.user_acct = np.repeat(np.arange(n), n_users)
    pos = np.arange(total) - np.repeat(w.first_user, n_users)
    start = w.created_sec[w.user_acct]
    lag = np.where(pos == 0, rng.integers(60, 3600, total), (rng.exponential(20.0, total) * 86400).astype(np.int64))
    w.user_created_sec = np.minimum(start + lag, w.end_ts)
    w.user_created_day = w.user_created_sec // 86400
    eng = (0.4 + 1.2 * w.adoption)[w.user_acct] * rng.gamma(2.0, 0.5, total)
    w.user_eng = eng
    w.user_role = np.where(pos == 0, 0, rng.choice(3, total, p=[0.1, 0.7, 0.2]))
    w.user_role_missing = (pos > 0) & (rng.random(total) < 0.03)
    w.user_first = rng.integers(0, len(FIRST_NAMES), total)
    w.user_last = rng.integers(0, len(LAST_NAMES), total)
    w.user_tz = rng.choice(4, total, p=TZ_P).astype(np.int8)


def user_rows(w: World) -> tuple[list[list[str]], list[str]]:
    created = w.clock.ts(w.user_created_sec, w.user_tz)
    roles = ("admin", "member", "viewer")
    rows = [
        [
            f"usr_{u + 1:07d}",
            w.acct_ids[a],
            f"{FIRST_NAMES[f]}.{LAST_NAMES[last]}.{u + 1}@example.com",
            "" if miss else roles[r],
            c,
        ]
        for u, (a, f, last, r, miss, c) in enumerate(
            zip(
                w.user_acct.tolist(),
                w.user_first.tolist(),
                w.user_last.tolist(),
                w.user_role.tolist(),
                w.user_role_missing.tolist(),
                created,
                strict=True,
            )
        )
    ]
    keys = [quarter(w.clock.day(d)) for d in w.user_created_day.tolist()]
    return rows, keys


def prepare_events(w: World) -> None:
    rng = w.rng
    K = len(w.seeds.features)
    w.features = list(w.seeds.features) + list(EXTRA_FEATURES)
    w.feature_code = {f: i for i, f in enumerate(w.features)}
    w.feat_order = np.argsort(rng.random((w.n, K)), axis=1).astype(np.int16)
    w.n_feat = 1 + rng.binomial(K - 1, w.adoption)
    # properties JSON per (event, variant) code
    props: list[str] = [json.dumps({"feature": f}) for f in w.features]
    w.prop_base = {}
    w.prop_base[1] = 0
    w.prop_base[0] = len(props)
    props += [json.dumps({"platform": p}) for p in PLATFORMS]
    w.prop_base[2] = len(props)
    props += [json.dumps({"format": f}) for f in EXPORT_FORMATS]
    w.prop_base[3] = len(props)
    props += [json.dumps({"role": r}) for r in INVITE_ROLES]
    w.prop_base[4] = len(props)
    props += [json.dumps({"integration": i}) for i in INTEGRATIONS]
    w.props = props
    w.prop_count = {0: len(PLATFORMS), 2: len(EXPORT_FORMATS), 3: len(INVITE_ROLES), 4: len(INTEGRATIONS)}


def build_milestones(w: World) -> None:
    rng, n = w.rng, w.n
    ms = w.seeds.milestones
    M = len(ms)
    start = w.first_start
    new = start >= w.D0
    # cumulative spread after the first start; ~15% of new accounts stop at some milestone
    gaps = rng.exponential(3.0, (n, M)) * np.linspace(0.5, 2.0, M)[None, :]
    gaps[:, 0] = 0
    day = start[:, None] + np.floor(np.cumsum(gaps, axis=1)).astype(np.int64)
    stops = rng.random(n) < 0.15
    stop_at = rng.integers(1, max(2, M), n)
    never = stops[:, None] & (np.arange(M)[None, :] >= stop_at[:, None])
    day = np.where(never, NEVER, day)
    w.ms_day = np.where(new[:, None], day, -NEVER)
    # explicit milestone events (first occurrence) for new accounts
    a_idx, m_idx = np.nonzero(new[:, None] & ~never)
    d = w.ms_day[a_idx, m_idx]
    order = np.lexsort((m_idx, a_idx, d))
    w.ms_ev_acct, w.ms_ev_m, w.ms_ev_day = a_idx[order], m_idx[order], d[order]
    w.ms_ev_sec = rng.integers(0, 3600, len(order))  # minutes after the user's session start
    name_code = {name: i for i, name in enumerate(EVENT_NAMES)}
    w.ms_code = np.array([name_code[m["event_name"]] for m in ms], dtype=np.int8)
    w.ms_feat = np.array([w.feature_code[m["feature"]] if m["feature"] else -1 for m in ms], dtype=np.int16)
