"""The sBG retention model and its DERL (orchestration/retention/sbg.py) against the papers.

Pure numpy/scipy on small inputs: no warehouse. The dbt side (cohort counts, marts, cs_clv's
model-based CLV) is covered by dbt unit tests (models/marts/cs/_cs__unit_tests.yml,
models/marts/retention/_retention__unit_tests.yml) and by the demo refresh.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from orchestration.retention.sbg import MAX_PARAMETER, Cohort, derl, fit, log_likelihood, survival

# Fader, P. S. & Hardie, B. G. S. (2007), "How to project customer retention", Journal of
# Interactive Marketing 21(1), 76-90, Table 1: customers still active at the start of years
# 0..7 of two cohorts of 1000 customers each ("regular" and "high end" segments).
REGULAR = (1000, 631, 468, 382, 326, 289, 262, 241)
HIGH_END = (1000, 869, 743, 653, 593, 551, 517, 491)


@pytest.mark.parametrize(
    ("survivors", "alpha", "beta"),
    [
        # The paper's maximum-likelihood estimates on the seven years (its section "Model
        # estimation"): regular alpha 0.704, beta 1.182; high end alpha 0.668, beta 3.806.
        (REGULAR, 0.704, 1.182),
        (HIGH_END, 0.668, 3.806),
    ],
    ids=["regular", "high_end"],
)
def test_fit_reproduces_fader_hardie_2007(survivors: tuple[int, ...], alpha: float, beta: float) -> None:
    result = fit([Cohort(survivors)])
    assert (round(result.alpha, 3), round(result.beta, 3)) == (alpha, beta)
    assert result.converged and result.note is None
    assert (result.accounts, result.cohorts, result.periods_observed) == (1000, 1, 7)


def test_log_likelihood_by_hand() -> None:
    # alpha = beta = 1: P(T = 1) = B(2, 1) / B(1, 1) = 1/2, S(1) = B(1, 2) / B(1, 1) = 1/2,
    # P(T = 2) = B(2, 2) / B(1, 1) = 1/6, S(2) = B(1, 3) = 1/3.
    # Cohort A (4 -> 2 -> 1): 2 lost in year 1, 1 in year 2, 1 censored after 2 years.
    # Cohort B (2 -> 1): 1 lost in year 1, 1 censored after 1 year.
    expected = 2 * math.log(1 / 2) + math.log(1 / 6) + math.log(1 / 3) + math.log(1 / 2) + math.log(1 / 2)
    assert log_likelihood(1.0, 1.0, [Cohort((4, 2, 1)), Cohort((2, 1))]) == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(survival(1.0, 1.0, [0, 1, 2, 3]), [1, 1 / 2, 1 / 3, 1 / 4], rtol=1e-12)


def test_cohorts_pool_as_one_likelihood() -> None:
    # Two cohorts observed for different lengths: the high-end cohort split into a 7-year and
    # a 3-year half (the younger one censored at year 3) fits as the sum of both likelihoods:
    # the maximum is where the two-cohort likelihood is largest, checked against a grid.
    younger = tuple(round(n / 2) for n in HIGH_END[:4])
    older = tuple(round(n / 2) for n in HIGH_END)
    result = fit([Cohort(older), Cohort(younger)])
    assert (result.accounts, result.cohorts, result.periods_observed) == (1000, 2, 7)
    best = log_likelihood(result.alpha, result.beta, [Cohort(older), Cohort(younger)])
    for da, db in [(0.01, 0), (-0.01, 0), (0, 0.05), (0, -0.05)]:
        nearby = log_likelihood(result.alpha + da, result.beta + db, [Cohort(older), Cohort(younger)])
        assert nearby < best


def test_too_little_data_gives_no_parameters_and_says_why() -> None:
    assert fit([Cohort((10, 8, 6))]).note == "fewer than 20 accounts (10)"
    assert fit([Cohort((100, 99, 98))]).note == "fewer than 5 churned accounts (2)"
    assert fit([Cohort((100, 50))]).note == "fewer than 2 months observed (1)"
    empty = fit([])
    assert (empty.alpha, empty.beta, empty.log_likelihood, empty.converged) == (None, None, None, False)


def test_churn_rising_with_tenure_stops_at_the_geometric_limit() -> None:
    # 1000 -> 900 -> 700 -> 400: churn rises (10%, 22%, 43%), which no Beta mixture of constant
    # churn probabilities produces; the likelihood rises towards the homogeneous (geometric)
    # limit, whose churn probability is lost / exposure = 600 / (1000 + 900 + 700).
    result = fit([Cohort((1000, 900, 700, 400))])
    assert result.note is not None and "geometric limit" in result.note
    assert result.alpha + result.beta == pytest.approx(MAX_PARAMETER, rel=1e-6)
    assert result.alpha / (result.alpha + result.beta) == pytest.approx(600 / 2600, abs=1e-3)


def test_derl_of_alpha_beta_one_by_hand() -> None:
    # alpha = beta = 1: S(t) = 1 / (t + 1). An account alive at the end of period 0 (no
    # renewal yet), d = 100%: DERL = sum_{t>=1} S(t)/S(0) * x^(t-1), x = 1/2, = sum_k x^k / (k + 2)
    # = (-ln(1 - x) - x) / x^2 = 4 (ln 2 - 1/2).
    assert derl(1.0, 1.0, 0, 1.0) == pytest.approx(4 * (math.log(2) - 0.5), rel=1e-12)


@pytest.mark.parametrize("renewals", [0, 1, 4, 10])
def test_derl_closed_form_is_the_discounted_residual_lifetime(renewals: int) -> None:
    # Fader & Hardie (2010), "Customer-base valuation in a contractual setting: the perils of
    # ignoring heterogeneity", Marketing Science 29(1), 85-93: eq. (6) (the 2F1 form) against
    # its definition, eq. (5), sum_{t>n-1} S(t)/S(n-1) / (1+d)^(t-n), summed directly here, for
    # the paper's high-end segment (alpha 0.668, beta 3.806) at its d = 10% per year.
    alpha, beta, d = 0.668, 3.806, 0.10
    t = np.arange(renewals + 1, renewals + 6000)
    log_s = [math.lgamma(beta + k) - math.lgamma(alpha + beta + k) for k in (*t, renewals)]
    ratio = np.exp(np.asarray(log_s[:-1]) - log_s[-1])  # S(t) / S(renewals); B's alpha terms cancel
    series = float(np.sum(ratio / (1 + d) ** (t - renewals - 1)))
    assert float(derl(alpha, beta, renewals, d)) == pytest.approx(series, rel=1e-9)


def test_derl_rises_with_tenure() -> None:
    # The point of the model: with heterogeneity the accounts still here after long are the
    # loyal ones, so the residual lifetime grows with tenure (a constant-churn CLV misses it).
    values = derl(0.704, 1.182, np.arange(0, 24), (1.10) ** (1 / 12) - 1)
    assert np.all(np.diff(values) > 0)
