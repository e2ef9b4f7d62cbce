"""Calibration of the churn regression by cross-fitting in time (DECISIONLOG "Learned churn
risk, round 3: calibration").

The eligible days before a cutoff are cut into blocks of BLOCK_DAYS counted back from the
latest day. Each block is scored by a regression fitted only on the eligible days before it
(an out-of-time prediction, as the model at the cutoff makes for the evaluation month), and
Platt's sigmoid is fitted on all those predictions pooled. The latest block alone (round 2's
design) held ~20-30 churning accounts, and the sigmoid's slope swung from cutoff to cutoff
(0.80, 1.14, 1.44 on seed 42's July, August, September cutoffs); the pooled blocks hold two to
three times the churners and the slope moved 0.80, 0.95, 1.09.
"""

from __future__ import annotations

import numpy as np
from sklearn.linear_model import LogisticRegression

# A block's length, and the fewest days that must precede a block to fit the regression that
# scores it (the earliest days only ever fit, they are never scored).
BLOCK_DAYS = 30
MIN_FIT_DAYS = 30
SOLVER = "newton-cholesky"


def time_blocks(days: list, block_days: int = BLOCK_DAYS, min_fit_days: int = MIN_FIT_DAYS) -> list[list]:
    """Consecutive blocks of `block_days` sorted days counted back from the latest, earliest
    block first, each preceded by at least `min_fit_days` days. A remainder shorter than a
    block stays with the fit-only days at the start."""
    days = sorted(days)
    count = max((len(days) - min_fit_days) // block_days, 0)
    return [days[len(days) - (j + 1) * block_days : len(days) - j * block_days] for j in reversed(range(count))]


def platt(logits: np.ndarray, outcomes: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of Platt's sigmoid: the maximum-likelihood logistic regression of
    the outcome on the logit, unregularised (its two parameters are the calibration, not a fit
    to shrink). The tolerance is tight because Newton's steps converge quadratically on two
    parameters: one more step costs nothing, and sklearn's default stops ~1e-5 short."""
    fitted = LogisticRegression(C=np.inf, solver=SOLVER, max_iter=100, tol=1e-10)
    fitted.fit(np.asarray(logits, dtype=float).reshape(-1, 1), np.asarray(outcomes, dtype=bool))
    return float(fitted.coef_[0][0]), float(fitted.intercept_[0])
