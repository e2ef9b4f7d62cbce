"""The shifted-beta-geometric (sBG) retention model: maximum-likelihood fit over several
cohorts with right-censored survivors, survival curve and discounted expected residual
lifetime (DERL).

Fader & Hardie (2007), "How to project customer retention", Journal of Interactive Marketing
21(1): each customer has a constant churn probability theta per period, theta ~ Beta(alpha,
beta) across customers, so the population's retention rises with tenure.
    P(T = t) = B(alpha + 1, beta + t - 1) / B(alpha, beta)      t = 1, 2, ...
    S(t)     = B(alpha, beta + t) / B(alpha, beta)
Fader & Hardie (2010), "Customer-base valuation in a contractual setting: the perils of
ignoring heterogeneity", Marketing Science 29(1), eq. (6): for a customer who has made n - 1
renewals (is alive at the end of period n - 1),
    DERL(d | alpha, beta, n) = B(alpha, beta + n) / B(alpha, beta + n - 1)
                               * 2F1(1, beta + n; alpha + beta + n; 1 / (1 + d)).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from scipy import optimize, special

# Fewer accounts or churn events than these and the two parameters are not identified well
# enough to publish (the mart says why instead).
MIN_ACCOUNTS = 20
MIN_CHURNED = 5
MIN_PERIODS = 2
# Upper bound of alpha + beta. Without heterogeneity (every account with about the same churn
# probability, or churn rising with tenure, which the sBG cannot express) the likelihood keeps
# rising as alpha, beta -> infinity at a fixed alpha / (alpha + beta): the geometric limit. At
# alpha + beta = 1e4 the Beta's spread is negligible, so the fit stops there and says so.
MAX_PARAMETER = 1e4


@dataclass(frozen=True)
class Cohort:
    """One cohort's survivors at the end of periods 0..T (survivors[0] = cohort size).
    The last count is right-censored: those accounts are still alive at the as-of date."""

    survivors: tuple[int, ...]


@dataclass(frozen=True)
class Fit:
    alpha: float | None
    beta: float | None
    log_likelihood: float | None
    converged: bool
    accounts: int
    cohorts: int
    periods_observed: int
    note: str | None = None


def log_survival(alpha: float, beta: float, t: np.ndarray) -> np.ndarray:
    """ln S(t) = ln B(alpha, beta + t) - ln B(alpha, beta)."""
    return special.betaln(alpha, beta + t) - special.betaln(alpha, beta)


def survival(alpha: float, beta: float, periods: Iterable[int]) -> np.ndarray:
    return np.exp(log_survival(alpha, beta, np.asarray(list(periods), dtype=float)))


def _counts(cohorts: Iterable[Cohort]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pooled likelihood terms: (period t, accounts lost in t) for every cohort and period, and
    (censoring period T, accounts still alive) per cohort."""
    lost_t, lost_n, cens_t, cens_n = [], [], [], []
    for cohort in cohorts:
        s = np.asarray(cohort.survivors, dtype=float)
        if np.any(np.diff(s) > 0):
            raise ValueError(f"survivor counts must not increase: {cohort.survivors}")
        lost_t.extend(range(1, len(s)))
        lost_n.extend(s[:-1] - s[1:])
        cens_t.append(len(s) - 1)
        cens_n.append(s[-1])
    return tuple(np.asarray(v, dtype=float) for v in (lost_t, lost_n, cens_t, cens_n))  # type: ignore[return-value]


def log_likelihood(alpha: float, beta: float, cohorts: Iterable[Cohort]) -> float:
    """Sum over cohorts of  sum_t lost_t ln P(T = t) + survivors_T ln S(T)  (the paper's
    likelihood, eq. 3, with one censoring period per cohort)."""
    return _log_likelihood(alpha, beta, *_counts(cohorts))


def _log_likelihood(alpha, beta, lost_t, lost_n, cens_t, cens_n) -> float:
    log_b = special.betaln(alpha, beta)
    churn = special.betaln(alpha + 1, beta + lost_t - 1) - log_b
    return float(np.dot(lost_n, churn) + np.dot(cens_n, special.betaln(alpha, beta + cens_t) - log_b))


def fit(cohorts: Iterable[Cohort]) -> Fit:
    """Maximum-likelihood alpha, beta. The optimiser works on log(alpha), log(beta) (both
    must be positive; unconstrained search is better behaved than bounds at 0)."""
    cohorts = [c for c in cohorts if c.survivors and c.survivors[0] > 0]
    counts = _counts(cohorts)
    accounts = int(sum(c.survivors[0] for c in cohorts))
    churned = int(counts[1].sum())
    periods = int(max((len(c.survivors) - 1 for c in cohorts), default=0))
    shape = {"accounts": accounts, "cohorts": len(cohorts), "periods_observed": periods}
    reason = _too_little(accounts, churned, periods)
    if reason:
        return Fit(None, None, None, False, note=reason, **shape)
    # Searched as (logit of the mean churn m = alpha / (alpha + beta), log of the precision
    # k = alpha + beta): the likelihood's ridge runs along k at a fixed m, so this search
    # follows it to the bound instead of stalling on it; started at the pooled churn rate.
    lost, exposure = counts[1].sum(), _exposure(*counts)
    start_mean = min(max(lost / exposure, 1e-6), 1 - 1e-6)
    result = optimize.minimize(
        lambda p: -_log_likelihood(*_alpha_beta(p), *counts),
        x0=np.array([np.log(start_mean / (1 - start_mean)), 0.0]),
        method="L-BFGS-B",
        bounds=[(-30.0, 30.0), (np.log(1e-4), np.log(MAX_PARAMETER))],
        options={"ftol": 1e-15, "gtol": 1e-10, "maxiter": 2000},
    )
    # Near the limit the likelihood is so flat in k that the search stops short of the bound;
    # the geometric limit's own maximum (m = lost / exposure, k at the bound) decides.
    limit = np.array([np.log(start_mean / (1 - start_mean)), np.log(MAX_PARAMETER)])
    limit_fun = -_log_likelihood(*_alpha_beta(limit), *counts)
    at_limit = limit_fun <= result.fun or result.x[1] >= limit[1] - 1e-6
    if at_limit and limit_fun <= result.fun:
        result.x, result.fun, result.success = limit, limit_fun, True
    alpha, beta = _alpha_beta(result.x)
    note = None
    if at_limit:
        note = (
            "no heterogeneity in churn probability: alpha + beta at its bound "
            f"{MAX_PARAMETER:g} (the geometric limit; alpha / (alpha + beta) is the monthly churn)"
        )
    return Fit(alpha, beta, float(-result.fun), bool(result.success), note=note, **shape)


def _alpha_beta(p: np.ndarray) -> tuple[float, float]:
    mean, precision = 1.0 / (1.0 + np.exp(-p[0])), np.exp(p[1])
    return float(mean * precision), float((1.0 - mean) * precision)


def _exposure(lost_t, lost_n, cens_t, cens_n) -> float:
    """Account-periods at risk: a loss in period t was at risk t periods, a survivor T."""
    return float(np.dot(lost_t, lost_n) + np.dot(cens_t, cens_n))


def _too_little(accounts: int, churned: int, periods: int) -> str | None:
    if accounts < MIN_ACCOUNTS:
        return f"fewer than {MIN_ACCOUNTS} accounts ({accounts})"
    if churned < MIN_CHURNED:
        return f"fewer than {MIN_CHURNED} churned accounts ({churned})"
    if periods < MIN_PERIODS:
        return f"fewer than {MIN_PERIODS} months observed ({periods})"
    return None


def derl(alpha: float, beta: float, renewals: int | np.ndarray, discount: float) -> np.ndarray:
    """Discounted expected residual lifetime, in periods, of a customer who has made
    `renewals` renewals (alive at the end of period `renewals`), evaluated just before the
    next renewal decision, at discount rate `discount` per period (F&H 2010 eq. 6 with
    n = renewals + 1)."""
    n = np.asarray(renewals, dtype=float) + 1
    ratio = np.exp(special.betaln(alpha, beta + n) - special.betaln(alpha, beta + n - 1))
    return ratio * special.hyp2f1(1.0, beta + n, alpha + beta + n, 1.0 / (1.0 + discount))
