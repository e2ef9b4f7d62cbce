"""The learned churn model: standardised logistic regression, Platt-calibrated on its own
out-of-time predictions (cross-fitting in time, orchestration/churn/calibration.py), trained
only on labels whose 90-day window had ended by the cutoff.

Rows are paying account-days from int_churn__features; `churned_90d` is the backtest's label
(macros/health/churn_label.sql: the paying spell ended within 90 days of the day), null while
its window is still open at the as-of date.

Time split (expanding window): a model "at" cutoff day c may use a row of day t only when
t + 90 days <= c, i.e. the label's window ended by c (a row nearer to c would leak outcomes
the model could not have known). All but the latest CALIBRATION_DAYS eligible days fit the
regression in service; Platt's sigmoid is fitted on the pooled out-of-time scores of every
30-day block of eligible days, each scored by a regression fitted on the days before it (the
latest block's is the model in service). Nothing here is tuned on the reported seeds: the
feature set and the calibration were chosen on seed 42 and one development seed (DECISIONLOG
"Learned churn risk, round 2" and "round 3: calibration").
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from orchestration.churn import calibration
from orchestration.churn.calibration import platt, time_blocks

LABEL_WINDOW_DAYS = 90
# The latest eligible days, never fitted by the regression in service (the latest calibration
# block), and the fewest days left to fit it: a cutoff with less history is not evaluated.
CALIBRATION_DAYS = calibration.BLOCK_DAYS
MIN_FIT_DAYS = calibration.MIN_FIT_DAYS
# The warehouse's first 60 days do not train: the health score's usage reads 30 days and the
# usage baseline the 104 days before the day, so early on every account's windows are cut
# short by the start of the history, a regime no later day is in.
WARM_UP_DAYS = 60
# L2 strength (sklearn's default C=1) on standardised features; a fixed seed although the
# solver is deterministic, so a solver change cannot make a refresh irreproducible. With four
# features and tens of thousands of rows the penalty hardly binds: C from 0.001 to 1 moved the
# development months' pooled AUC by under 0.01 (DECISIONLOG "Learned churn risk, round 2"),
# so no cross-validated C is fitted in every refresh.
REGULARISATION_C = 1.0
SEED = 18
SOLVER = "newton-cholesky"
MODEL_NAME = "logistic_regression_platt"

# The feature set (int_churn__features columns). Changing it changes the fingerprint. Few and
# strong (DECISIONLOG "Learned churn risk, round 2"): 22 coefficients learned from a few dozen
# churners overfit (in-sample AUC 0.82, 0.74 later); the health score enters as one feature so
# the regression learns corrections to that prior, beside three signals it does not hold.
FEATURES = (
    "health_score",
    "renews_within_90d",
    "late_invoices_365d",
    "usage_vs_baseline_log",
)


def label_known_by(observed_on: pd.Series, cutoff: date) -> pd.Series:
    """True for rows whose 90-day label window ended on or before `cutoff`."""
    return pd.to_datetime(observed_on) + pd.Timedelta(days=LABEL_WINDOW_DAYS) <= pd.Timestamp(cutoff)


@dataclass(frozen=True)
class Fitted:
    """A fitted model: imputation means, standardisation, coefficients and Platt's sigmoid."""

    features: tuple[str, ...]
    means: np.ndarray
    scales: np.ndarray
    coefficients: np.ndarray
    intercept: float
    platt_slope: float
    platt_intercept: float
    fit_rows: int
    calibration_rows: int
    trained_through: date  # the latest observation day whose label the model used

    def standardised(self, frame: pd.DataFrame) -> np.ndarray:
        """(x - mean) / scale with a missing value at the mean (0): absent signals push nowhere."""
        values = frame[list(self.features)].to_numpy(dtype=float)
        values = np.where(np.isnan(values), self.means, values)
        return (values - self.means) / self.scales

    def logit(self, frame: pd.DataFrame) -> np.ndarray:
        return self.standardised(frame) @ self.coefficients + self.intercept

    def probability(self, frame: pd.DataFrame) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self.platt_slope * self.logit(frame) + self.platt_intercept)))

    def contributions(self, frame: pd.DataFrame) -> np.ndarray:
        """coefficient x standardised value per feature: its push on the (uncalibrated) logit."""
        return self.standardised(frame) * self.coefficients


def training_split(frame: pd.DataFrame, cutoff: date) -> tuple[pd.DataFrame, pd.DataFrame] | None:
    """(fit rows, calibration rows) for a model at `cutoff`, or None with too little history.
    Only rows with a label whose window ended by the cutoff are eligible. The rows are put in
    one order first: a database scan returns them in any order, and floating-point sums in
    another order give coefficients that differ in the last digits, so the same data would
    publish a different `cs_churn_model_coefficients` row (tests_py/test_publish.py)."""
    frame = frame.sort_values(["observed_on", "account_id"], kind="mergesort")
    warmed_up = pd.to_datetime(frame["observed_on"]) >= pd.to_datetime(frame["observed_on"]).min() + pd.Timedelta(
        days=WARM_UP_DAYS
    )
    eligible = frame[frame["churned_90d"].notna() & warmed_up & label_known_by(frame["observed_on"], cutoff)]
    days = sorted(eligible["observed_on"].unique())
    if len(days) < MIN_FIT_DAYS + CALIBRATION_DAYS:
        return None
    calibration_from = days[-CALIBRATION_DAYS]
    fit_rows = eligible[eligible["observed_on"] < calibration_from]
    calibration_rows = eligible[eligible["observed_on"] >= calibration_from]
    if fit_rows["churned_90d"].nunique() < 2 or calibration_rows["churned_90d"].nunique() < 2:
        return None  # a logistic fit needs both outcomes
    return fit_rows, calibration_rows


def _regression(rows: pd.DataFrame, features: tuple[str, ...]) -> Fitted:
    """The standardised L2 logistic regression on `rows`, uncalibrated (Platt slope 1, 0)."""
    values = rows[list(features)].to_numpy(dtype=float)
    means = np.nanmean(values, axis=0)
    means = np.where(np.isnan(means), 0.0, means)  # a feature never observed: constant 0
    filled = np.where(np.isnan(values), means, values)
    scales = filled.std(axis=0)
    scales = np.where(scales > 0, scales, 1.0)  # a constant feature: coefficient 0, no division by 0
    # newton-cholesky: exact Newton steps, right for many rows and few features; lbfgs stopped
    # at its tolerance visibly short of the optimum here (coefficients differing in the first
    # decimal) and took five times as long.
    regression = LogisticRegression(C=REGULARISATION_C, solver=SOLVER, max_iter=100, random_state=SEED)
    regression.fit((filled - means) / scales, rows["churned_90d"].astype(bool))
    last_day = pd.Timestamp(rows["observed_on"].max()).date()
    return Fitted(
        features, means, scales, regression.coef_[0], float(regression.intercept_[0]), 1.0, 0.0, 0, 0, last_day
    )


def fit(frame: pd.DataFrame, cutoff: date, features: tuple[str, ...] = FEATURES) -> Fitted | None:
    split = training_split(frame, cutoff)
    if split is None:
        return None
    fit_rows, latest_block = split
    eligible = pd.concat(split)
    logits, outcomes, model = [], [], None
    # Cross-fitting in time: each block scored by a regression that never saw it nor anything
    # later; the blocks are visited in time order, so the last regression is the one fitted on
    # every eligible day but the latest block: the model in service.
    for block in time_blocks(list(eligible["observed_on"].unique())):
        before = eligible[eligible["observed_on"] < block[0]]
        if before["churned_90d"].nunique() < 2:
            continue  # an early block whose past holds one outcome only: no regression to score it
        model = _regression(before, features)
        scored = eligible[eligible["observed_on"].between(block[0], block[-1])]
        logits.append(model.logit(scored))
        outcomes.append(scored["churned_90d"].astype(bool).to_numpy())
    slope, intercept = platt(np.concatenate(logits), np.concatenate(outcomes))
    return Fitted(
        **{
            **model.__dict__,
            "platt_slope": slope,
            "platt_intercept": intercept,
            "fit_rows": len(fit_rows),
            "calibration_rows": sum(len(o) for o in outcomes),
            "trained_through": pd.Timestamp(latest_block["observed_on"].max()).date(),
        }
    )


def fingerprint(frame: pd.DataFrame, cutoff: date, features: tuple[str, ...] = FEATURES) -> str:
    """sha256 of what a fit at `cutoff` reads (the eligible rows, sorted), the feature set, the
    settings and this module's code: equal fingerprints give the same model, so the refit can
    be skipped."""
    split = training_split(frame, cutoff)
    rows = pd.concat(split) if split else frame.iloc[0:0]
    rows = rows[["account_id", "observed_on", "churned_90d", *features]].sort_values(["observed_on", "account_id"])
    digest = hashlib.sha256()
    settings = (
        features,
        LABEL_WINDOW_DAYS,
        CALIBRATION_DAYS,
        MIN_FIT_DAYS,
        WARM_UP_DAYS,
        REGULARISATION_C,
        SOLVER,
        SEED,
        MODEL_NAME,
    )
    digest.update(repr(settings).encode())
    # The fit's and the calibration's code: a change of either (not only of a setting) retrains.
    digest.update(Path(__file__).read_bytes())
    digest.update(Path(calibration.__file__).read_bytes())
    digest.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
    return digest.hexdigest()


def evaluation_cutoffs(frame: pd.DataFrame, as_of: date) -> list[date]:
    """Month starts whose own label window ended by the as-of date and that have enough
    earlier history: each is evaluated by a model trained at that month start (expanding)."""
    months = sorted(pd.Timestamp(m).date() for m in frame.loc[frame["is_month_start"], "observed_on"].unique())
    return [
        m for m in months if m + timedelta(days=LABEL_WINDOW_DAYS) <= as_of and training_split(frame, m) is not None
    ]
