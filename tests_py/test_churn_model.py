"""The learned churn model's metrics and time split (orchestration/churn/) on tiny inputs,
against values computed by hand from the definitions. No warehouse: the dbt side (features,
marts) is built by the demo refresh and checked by the models' data tests.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from orchestration.churn import model
from orchestration.churn.calibration import platt, time_blocks
from orchestration.churn.metrics import auc, brier, deciles, evaluate, observed_rate_standard_error


def test_auc_by_hand() -> None:
    # Churned scores 0.35 and 0.8 against retained 0.1 and 0.4: of the 4 (churned, retained)
    # pairs the churned account scores higher in 3 (0.35 > 0.1, 0.8 > 0.1, 0.8 > 0.4): 3/4.
    assert auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([False, False, True, True])) == 0.75
    # A tie counts one half: churned 0.5 against retained 0.5 (1/2) and 0.2 (1): 1.5 / 2.
    assert auc(np.array([0.5, 0.5, 0.2]), np.array([True, False, False])) == 0.75
    # Undefined without both outcomes.
    assert auc(np.array([0.1, 0.2]), np.array([True, True])) is None


def test_brier_by_hand() -> None:
    # ((0.2 - 0)^2 + (0.9 - 1)^2 + (0.5 - 1)^2) / 3 = (0.04 + 0.01 + 0.25) / 3 = 0.1
    assert brier(np.array([0.2, 0.9, 0.5]), np.array([False, True, True])) == pytest.approx(0.1, abs=1e-15)


def test_deciles_are_ntile_by_descending_score() -> None:
    # 12 accounts: SQL ntile(10) gives the first 12 % 10 = 2 deciles 2 accounts, the rest 1.
    scores = np.arange(12, 0, -1) / 100  # acc_00 highest
    ids = np.array([f"acc_{i:02d}" for i in range(12)])
    assert deciles(scores, ids).tolist() == [1, 1, 2, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    # Equal scores: the account id breaks the tie, so the split is reproducible.
    assert deciles(np.zeros(10), ids[:10][::-1]).tolist() == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1]


def test_observed_rate_standard_error_by_hand() -> None:
    # 90 accounts each predicted at 0.25: sqrt(90 * 0.25 * 0.75) / 90 = sqrt(0.1875 / 90) =
    # 0.04564: the ~4.6 points a 90-account decile's observed rate moves by sampling alone.
    assert observed_rate_standard_error(np.full(90, 0.25)) == pytest.approx(0.0456435, abs=1e-7)
    # Mixed: sqrt(0.1 * 0.9 + 0.5 * 0.5 + 0 * 1) / 3 = sqrt(0.34) / 3; no accounts: undefined.
    assert observed_rate_standard_error(np.array([0.1, 0.5, 0.0])) == pytest.approx(math.sqrt(0.34) / 3)
    assert observed_rate_standard_error(np.array([])) is None


def test_evaluate_lift_and_calibration_by_hand() -> None:
    # 20 accounts, 2 per decile; the two highest scores churned and two more lower down:
    # overall churn 4 / 20 = 0.2, decile 1 churn 2 / 2 = 1, lift 1 / 0.2 = 5.
    probability = np.linspace(0.95, 0.0, 20)
    churned = np.zeros(20, dtype=bool)
    churned[[0, 1, 9, 15]] = True
    frame = pd.DataFrame(
        {"account_id": [f"a{i:02d}" for i in range(20)], "probability": probability, "churned": churned}
    )
    summary, by_decile = evaluate(frame)
    assert (summary["accounts"], summary["churned"]) == (20, 4)
    assert summary["top_decile_lift"] == pytest.approx(5.0)
    # Decile 5 holds accounts 8 and 9 (probabilities 0.55, 0.5): predicted 0.525, observed 1/2.
    fifth = by_decile[by_decile["decile"] == 5].iloc[0]
    assert (fifth["accounts"], fifth["mean_predicted"], fifth["observed_rate"]) == (2, pytest.approx(0.525), 0.5)
    # Its observed rate's standard error if the predictions were exact: sqrt(0.55 * 0.45 +
    # 0.5 * 0.5) / 2 = sqrt(0.4975) / 2.
    assert fifth["observed_rate_standard_error"] == pytest.approx(math.sqrt(0.4975) / 2)


def _history(days: int, accounts: int = 4) -> pd.DataFrame:
    """`accounts` accounts paying every day from 2026-01-01 with one informative feature: the
    label is 1 for odd accounts, so every eligible day holds both outcomes."""
    start = date(2026, 1, 1)
    rows = []
    for day in range(days):
        for account in range(accounts):
            features = {name: 0.0 for name in model.FEATURES}
            features["health_score"] = 80.0 - 40.0 * (account % 2) + (day % 7)
            rows.append(
                {
                    "account_id": f"acc_{account}",
                    "observed_on": pd.Timestamp(start + timedelta(days=day)),
                    "is_month_start": (start + timedelta(days=day)).day == 1,
                    "churned_90d": bool(account % 2),
                    **features,
                }
            )
    return pd.DataFrame(rows)


def test_time_split_never_trains_on_a_label_ending_after_the_cutoff() -> None:
    frame = _history(days=300)
    cutoff = date(2026, 9, 1)
    fit_rows, calibration_rows = model.training_split(frame, cutoff)
    used = pd.concat([fit_rows, calibration_rows])["observed_on"]
    # The last usable day is cutoff - 90 (its window ends on the cutoff); cutoff - 89 is not.
    assert used.max() == pd.Timestamp(cutoff - timedelta(days=90))
    assert not (used + pd.Timedelta(days=90) > pd.Timestamp(cutoff)).any()
    # The warm-up's 60 days never train; the calibration slice is the latest 30 eligible days,
    # later than every fitted day.
    assert used.min() == pd.Timestamp(date(2026, 1, 1) + timedelta(days=model.WARM_UP_DAYS))
    assert calibration_rows["observed_on"].nunique() == model.CALIBRATION_DAYS
    assert fit_rows["observed_on"].max() < calibration_rows["observed_on"].min()


def test_labels_after_the_cutoff_do_not_change_the_model() -> None:
    # Flipping every label whose window ends after the cutoff (the outcomes the model could
    # not have known) leaves the fit and its fingerprint as they were.
    frame = _history(days=300)
    cutoff = date(2026, 9, 1)
    flipped = frame.copy()
    late = flipped["observed_on"] > pd.Timestamp(cutoff - timedelta(days=90))
    flipped.loc[late, "churned_90d"] = ~flipped.loc[late, "churned_90d"].astype(bool)
    original, changed = model.fit(frame, cutoff), model.fit(flipped, cutoff)
    np.testing.assert_array_equal(original.coefficients, changed.coefficients)
    assert (original.platt_slope, original.platt_intercept) == (changed.platt_slope, changed.platt_intercept)
    assert model.fingerprint(frame, cutoff) == model.fingerprint(flipped, cutoff)
    # A changed training label or feature set does change the fingerprint (a refit).
    early = frame.copy()
    early.loc[early.index[400], "churned_90d"] = not early.loc[early.index[400], "churned_90d"]
    assert model.fingerprint(early, cutoff) != model.fingerprint(frame, cutoff)
    assert model.fingerprint(frame, cutoff, model.FEATURES[:-1]) != model.fingerprint(frame, cutoff)


def test_too_little_history_gives_no_model() -> None:
    # 60 warm-up days + 30 fit + 30 calibration days must have ended 90 days before the cutoff.
    frame = _history(days=250)
    first_possible = date(2026, 1, 1) + timedelta(days=60 + 30 + 30 - 1 + 90)
    assert model.training_split(frame, first_possible - timedelta(days=1)) is None
    assert model.training_split(frame, first_possible) is not None


def test_probability_and_contributions_by_hand() -> None:
    fitted = model.Fitted(
        features=("a", "b"),
        means=np.array([1.0, 2.0]),
        scales=np.array([2.0, 1.0]),
        coefficients=np.array([0.5, -1.0]),
        intercept=0.1,
        platt_slope=2.0,
        platt_intercept=0.3,
        fit_rows=0,
        calibration_rows=0,
        trained_through=date(2026, 1, 1),
    )
    frame = pd.DataFrame({"a": [3.0, np.nan], "b": [1.0, 2.0]})
    # Row 1: z = ((3 - 1) / 2, (1 - 2) / 1) = (1, -1); contributions (0.5, 1.0);
    # logit 0.1 + 0.5 + 1.0 = 1.6; p = 1 / (1 + exp(-(2 * 1.6 + 0.3))) = 1 / (1 + exp(-3.5)).
    # Row 2: a missing sits at its mean (z = 0), b at its mean: logit 0.1, p = 1 / (1 + exp(-0.5)).
    np.testing.assert_allclose(fitted.contributions(frame), [[0.5, 1.0], [0.0, -0.0]])
    np.testing.assert_allclose(fitted.probability(frame), [1 / (1 + math.exp(-3.5)), 1 / (1 + math.exp(-0.5))])


def test_time_blocks_count_back_from_the_latest_day() -> None:
    # 100 days, blocks of 30, at least 30 fit-only days first: (100 - 30) // 30 = 2 blocks,
    # days 70-99 and 40-69; the 40 days 0-39 only ever fit.
    assert time_blocks(list(range(100)), 30, 30) == [list(range(40, 70)), list(range(70, 100))]
    # 60 days: one block (30-59), round 2's single calibration slice; 59 days: none.
    assert time_blocks(list(range(60)), 30, 30) == [list(range(30, 60))]
    assert time_blocks(list(range(59)), 30, 30) == []


def test_platt_is_the_logistic_maximum_likelihood_by_hand() -> None:
    # Two logit values: at z = 0 one outcome in 4 is a churn, at z = 1 three in 4. A logistic
    # curve through two points fits both rates exactly (the saturated fit is the maximum
    # likelihood): intercept = logit(1/4) = -ln 3, slope + intercept = logit(3/4) = ln 3, so
    # slope = 2 ln 3.
    logits = np.array([0, 0, 0, 0, 1, 1, 1, 1], dtype=float)
    outcomes = np.array([1, 0, 0, 0, 1, 1, 1, 0], dtype=bool)
    slope, intercept = platt(logits, outcomes)
    assert slope == pytest.approx(2 * math.log(3), abs=1e-6)
    assert intercept == pytest.approx(-math.log(3), abs=1e-6)


def test_calibration_pools_every_blocks_out_of_time_scores() -> None:
    # Cutoff 2026-09-01: eligible days from 2026-01-01 + 60 warm-up days = 2026-03-02 to
    # 2026-09-01 - 90 = 2026-06-03: 30 (Mar) + 30 (Apr) + 31 (May) + 3 (Jun) = 94 days.
    # Blocks: (94 - 30) // 30 = 2 (the latest 60 days); the regression in service fits the 94 -
    # 30 = 64 days before the latest block. 4 accounts a day.
    frame = _history(days=300)
    fitted = model.fit(frame, date(2026, 9, 1))
    assert (fitted.fit_rows, fitted.calibration_rows) == (64 * 4, 60 * 4)
    assert fitted.trained_through == date(2026, 6, 3)
    # The latest block's labels calibrate but never fit the regression in service: flipping
    # them leaves its coefficients as they were and moves Platt's sigmoid.
    flipped = frame.copy()
    latest = flipped["observed_on"].between(pd.Timestamp(2026, 5, 5), pd.Timestamp(2026, 6, 3))
    flipped.loc[latest, "churned_90d"] = ~flipped.loc[latest, "churned_90d"].astype(bool)
    changed = model.fit(flipped, date(2026, 9, 1))
    np.testing.assert_array_equal(changed.coefficients, fitted.coefficients)
    assert changed.intercept == fitted.intercept
    assert (changed.platt_slope, changed.platt_intercept) != (fitted.platt_slope, fitted.platt_intercept)
