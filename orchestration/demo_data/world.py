"""The simulated world every entity is drawn from: accounts, subscriptions, users and milestones as
numpy arrays, filled step by step by the entity modules (``accounts``, ``subscriptions``, ``users``).

One object rather than a function per entity because later entities depend on earlier ones
(users on seats, surveys on active intervals, events on adoption and churn), and the shared
random stream ``rng`` must be consumed in exactly the same order on every run: same seed, same bytes.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from orchestration.demo_data.formatting import Clock, Seeds, read_seeds


class World:
    """State shared by the entity generators; each ``build_*`` step of the entity modules fills a part."""

    # accounts (accounts.build_accounts)
    segment: np.ndarray
    seats: np.ndarray
    region: np.ndarray
    currency: list[str]
    created_day: np.ndarray
    created_sec: np.ndarray
    adoption: np.ndarray
    sentiment: np.ndarray
    industry_idx: np.ndarray
    industry_missing: np.ndarray
    names: list[str]
    acct_updated_sec: np.ndarray
    acct_tz: np.ndarray
    # subscriptions (subscriptions.build_subscriptions)
    plan_min: list[int]
    plan_max: list[int]
    versions: list[dict]
    churn_day: np.ndarray
    first_start: np.ndarray
    renewals: list[tuple[int, int]]
    iv_from: np.ndarray
    iv_to: np.ndarray
    # users (users.build_users)
    n_users: np.ndarray
    first_user: np.ndarray
    user_acct: np.ndarray
    user_created_sec: np.ndarray
    user_created_day: np.ndarray
    user_eng: np.ndarray
    user_role: np.ndarray
    user_role_missing: np.ndarray
    user_first: np.ndarray
    user_last: np.ndarray
    user_tz: np.ndarray
    # event vocabulary (users.prepare_events) and onboarding milestones (users.build_milestones)
    features: list[str]
    feature_code: dict[str, int]
    feat_order: np.ndarray
    n_feat: np.ndarray
    props: list[str]
    prop_base: dict[int, int]
    prop_count: dict[int, int]
    ms_day: np.ndarray
    ms_ev_acct: np.ndarray
    ms_ev_m: np.ndarray
    ms_ev_day: np.ndarray
    ms_ev_sec: np.ndarray
    ms_code: np.ndarray
    ms_feat: np.ndarray

    def __init__(self, n: int, days: int, seed: int, end: date) -> None:
        self.n = n
        self.seed = seed
        self.seeds: Seeds = read_seeds()
        self.D1 = int((end - date(1970, 1, 1)).days)
        self.D0 = self.D1 - days + 1
        self.end_ts = (self.D1 + 1) * 86400 - 1
        self.clock = Clock(self.D0 - 2000, self.D1 + 800)
        self.rng = np.random.default_rng([seed, 0])
        self.acct_ids = [f"acc_{i + 1:06d}" for i in range(n)]

    def active(self, acct: np.ndarray, day: np.ndarray | int) -> np.ndarray:
        day = np.asarray(day, dtype=np.int64)
        if day.ndim == 0:
            return ((self.iv_from[acct] <= day) & (day < self.iv_to[acct])).any(axis=1)
        return ((self.iv_from[acct] <= day[:, None]) & (day[:, None] < self.iv_to[acct])).any(axis=1)

    def penalty(self, acct: np.ndarray, day: np.ndarray | int) -> np.ndarray:
        """0 far from a cancellation, ramping to 1 at the service end (over the last 90 days)."""
        left = self.churn_day[acct] - day
        return np.where((left > 0) & (left <= 90), 1.0 - left / 90.0, 0.0)
