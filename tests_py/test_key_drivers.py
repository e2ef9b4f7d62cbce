"""Johnson's relative weights (orchestration/drivers/relative_weights.py) against a published
worked example and hand-computed cases; the demo acceptance check is in test_voice_of_customer."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.drivers.relative_weights import bootstrap, relative_weights

# mtcars (Henderson & Velleman 1981, from Motor Trend 1974; R's datasets::mtcars): mpg, cyl,
# disp, hp, wt of the 32 cars, typed from the R dataset.
MTCARS = """
21.0 6 160.0 110 2.620|21.0 6 160.0 110 2.875|22.8 4 108.0 93 2.320|21.4 6 258.0 110 3.215
18.7 8 360.0 175 3.440|18.1 6 225.0 105 3.460|14.3 8 360.0 245 3.570|24.4 4 146.7 62 3.190
22.8 4 140.8 95 3.150|19.2 6 167.6 123 3.440|17.8 6 167.6 123 3.440|16.4 8 275.8 180 4.070
17.3 8 275.8 180 3.730|15.2 8 275.8 180 3.780|10.4 8 472.0 205 5.250|10.4 8 460.0 215 5.424
14.7 8 440.0 230 5.345|32.4 4 78.7 66 2.200|30.4 4 75.7 52 1.615|33.9 4 71.1 65 1.835
21.5 4 120.1 97 2.465|15.5 8 318.0 150 3.520|15.2 8 304.0 150 3.435|13.3 8 350.0 245 3.840
19.2 8 400.0 175 3.845|27.3 4 79.0 66 1.935|26.0 4 120.3 91 2.140|30.4 4 95.1 113 1.513
15.8 8 351.0 264 3.170|19.7 6 145.0 175 2.770|15.0 8 301.0 335 3.570|21.4 4 121.0 109 2.780
"""


def test_reproduces_the_rwa_package_mtcars_example() -> None:
    """The worked example of the rwa R package (Chan, CRAN rwa, vignette "Regression methods":
    rwa_multiregress(mtcars, "mpg", c("cyl", "disp", "hp", "wt"))): raw weights 0.2096904,
    0.1883043, 0.1799590, 0.2706812, rescaled 24.70914, 22.18908, 21.20570, 31.89607 %, all
    signs negative."""
    rows = [[float(v) for v in car.split()] for car in MTCARS.replace("\n", "|").split("|") if car.strip()]
    cars = pd.DataFrame(rows, columns=["mpg", "cyl", "disp", "hp", "wt"])
    assert len(cars) == 32
    weights = relative_weights(cars[["cyl", "disp", "hp", "wt"]], cars["mpg"])
    assert weights.raw == pytest.approx([0.2096904, 0.1883043, 0.1799590, 0.2706812], abs=5e-8)
    assert 100 * weights.raw / weights.r_squared == pytest.approx([24.70914, 22.18908, 21.20570, 31.89607], abs=5e-6)
    assert list(weights.signs) == [-1, -1, -1, -1]


def test_uncorrelated_drivers_get_their_squared_correlation() -> None:
    """By hand: x1 = (1, -1, 1, -1), x2 = (1, 1, -1, -1) are orthogonal with mean 0, so R = I,
    Lambda = I and each weight is r(x, y)². y = (3, 1, 1, -1) = 1 + x1 + x2 has r(x1, y) =
    r(x2, y) = 4 / (2 * sqrt(8)) = 1 / sqrt(2): weights 0.5 and 0.5, R² = 1. A constant third
    driver has no variance: weight 0."""
    drivers = pd.DataFrame({"x1": [1, -1, 1, -1], "x2": [1, 1, -1, -1], "x3": [5, 5, 5, 5]}, dtype=float)
    weights = relative_weights(drivers, pd.Series([3.0, 1.0, 1.0, -1.0]))
    assert weights.raw == pytest.approx([0.5, 0.5, 0.0], abs=1e-12)
    assert weights.r_squared == pytest.approx(1.0)
    assert list(weights.signs) == [1, 1, 0]


def test_pairwise_complete_correlations() -> None:
    """A driver with a missing value is correlated over the rows where it is known: x = (1, 2,
    NaN, 3) against y = (2, 4, 100, 6) is a perfect correlation on the three known rows, so its
    only weight is 1 (the 100 of the row without x does not count)."""
    weights = relative_weights(pd.DataFrame({"x": [1.0, 2.0, np.nan, 3.0]}), pd.Series([2.0, 4.0, 100.0, 6.0]))
    assert weights.raw == pytest.approx([1.0])


def test_bootstrap_separates_a_real_driver_from_noise() -> None:
    """y = x + small noise, z unrelated: x's weight interval sits near 1 and its difference to
    the random driver is above zero; z's difference interval covers zero. Same seed, same
    intervals."""
    rng = np.random.default_rng(1)
    x, z = rng.standard_normal(300), rng.standard_normal(300)
    drivers = pd.DataFrame({"x": x, "z": z})
    outcome = pd.Series(x + 0.3 * rng.standard_normal(300))
    first = bootstrap(drivers, outcome, resamples=200, seed=5)
    assert first.vs_random_low[0] > 0.8 and first.ci_low[0] > 0.8
    assert first.vs_random_low[1] < 0 < first.vs_random_high[1]
    again = bootstrap(drivers, outcome, resamples=200, seed=5)
    assert np.array_equal(first.ci_low, again.ci_low) and np.array_equal(first.vs_random_low, again.vs_random_low)
