"""Scoring-rule metrics of a churn predictor, from their definitions (no estimator state).

* AUC: the probability that a churned account gets a higher score than a retained one, ties
  counting one half (the Mann-Whitney statistic divided by P * N; cs_health_backtest computes
  the fixed score's the same way in SQL).
* Brier score: the mean of (probability - outcome)^2, outcome 1 for churned, 0 for retained.
* Deciles: accounts ordered by score, highest first (ties broken by account id, so the split
  is reproducible), cut into ten groups of sizes differing by at most one (SQL ntile(10)).
* Top-decile lift: churn rate of decile 1 divided by the churn rate of all accounts.
* Observed rate's standard error: sqrt(sum p(1 - p)) / n, the spread of a group's observed
  churn rate if each account churned with exactly its predicted probability p (independent
  Bernoulli outcomes). A calibration gap of one or two of these is sampling noise: a decile
  of 90 accounts predicted at ~25 % has ~4.6 points, so "within 5 points" is about one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import rankdata


def auc(scores: np.ndarray, churned: np.ndarray) -> float | None:
    """Rank-sum AUC; None when every account churned or none did (undefined)."""
    scores, churned = np.asarray(scores, dtype=float), np.asarray(churned, dtype=bool)
    positives, negatives = int(churned.sum()), int((~churned).sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(scores)  # tied scores share their average rank
    return float((ranks[churned].sum() - positives * (positives + 1) / 2) / (positives * negatives))


def brier(probabilities: np.ndarray, churned: np.ndarray) -> float | None:
    probabilities = np.asarray(probabilities, dtype=float)
    if len(probabilities) == 0:
        return None
    return float(np.mean((probabilities - np.asarray(churned, dtype=float)) ** 2))


def deciles(scores: np.ndarray, account_ids: np.ndarray) -> np.ndarray:
    """Decile 1..10 per account, 1 = highest score; the first n % 10 deciles get one more
    account (SQL's ntile)."""
    n = len(scores)
    order = np.lexsort((np.asarray(account_ids), -np.asarray(scores, dtype=float)))
    position = np.empty(n, dtype=np.int64)
    position[order] = np.arange(n)
    base, extra = divmod(n, 10)
    # The first `extra` deciles hold base + 1 accounts, the rest base.
    cut = extra * (base + 1)
    return np.where(position < cut, position // (base + 1) + 1, extra + 1 + (position - cut) // max(base, 1))


def observed_rate_standard_error(probabilities: np.ndarray) -> float | None:
    probabilities = np.asarray(probabilities, dtype=float)
    if len(probabilities) == 0:
        return None
    return float(np.sqrt(np.sum(probabilities * (1.0 - probabilities))) / len(probabilities))


def evaluate(frame: pd.DataFrame) -> tuple[dict, pd.DataFrame]:
    """Summary (n, churners, AUC, Brier, top-decile lift) and per-decile calibration of one
    scorer on one evaluation set. `frame` columns: account_id, probability, churned."""
    churned = frame["churned"].to_numpy(dtype=bool)
    probability = frame["probability"].to_numpy(dtype=float)
    decile = deciles(probability, frame["account_id"].to_numpy())
    by_decile = (
        pd.DataFrame({"decile": decile, "probability": probability, "churned": churned.astype(float)})
        .groupby("decile", as_index=False)
        .agg(
            accounts=("churned", "size"),
            churned=("churned", "sum"),
            mean_predicted=("probability", "mean"),
            observed_rate_standard_error=("probability", observed_rate_standard_error),
        )
    )
    by_decile["observed_rate"] = by_decile["churned"] / by_decile["accounts"]
    overall = churned.mean() if len(churned) else None
    top = by_decile.loc[by_decile["decile"] == 1, "observed_rate"]
    summary = {
        "accounts": len(frame),
        "churned": int(churned.sum()),
        "auc": auc(probability, churned),
        "brier": brier(probability, churned),
        "top_decile_lift": float(top.iloc[0] / overall) if overall and len(top) else None,
        "observed_rate_standard_error": observed_rate_standard_error(probability),
    }
    return summary, by_decile
