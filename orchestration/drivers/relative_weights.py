"""Johnson's relative weights (Johnson 2000, Multivariate Behavioral Research 35(1), 1-19) with
a bootstrap interval and the random-variable significance test of Tonidandel, LeBreton & Johnson
(2009, Psychological Methods 14(4), 387-399).

Relative weights split a linear regression's R² among correlated drivers: the drivers are
replaced by their closest orthogonal counterparts Z (Z = X R^-1/2), the outcome is regressed on
Z, and each Z's share of R² is handed back to the drivers by the squared loadings of X on Z. The
weights are >= 0 and add up to R², which is why they rank drivers that overlap (CSAT and CES,
adoption and seat utilisation) where regression coefficients flip signs.

Correlations are pairwise complete (a driver an observation lacks, such as a CSAT % of an
account nobody rated, leaves that pair out, like the rwa R package's default); a driver with no
variance in a sample has correlation 0 with everything, so its weight is 0 there.

Pure numpy and pandas on a small frame: the dbt Python model int_cx__key_driver_weights calls it
and the unit tests call it directly (tests_py/test_key_drivers.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

RANDOM_DRIVER = "__random__"


@dataclass(frozen=True)
class Weights:
    raw: np.ndarray  # epsilon_j, one per driver, summing to r_squared
    signs: np.ndarray  # sign of each driver's zero-order correlation with the outcome
    r_squared: float


def correlations(frame: pd.DataFrame | np.ndarray) -> np.ndarray:
    """Pairwise-complete Pearson correlations, 0 off the diagonal where a column is constant.

    Four matrix products instead of pandas' pairwise loop: with M the 0/1 matrix of known values
    and X0 the values with NaN as 0, the pair (i, j) has n = M_i.M_j rows, sums X0_i.M_j and
    X0_j.M_i, squares X0_i^2.M_j and cross products X0_i.X0_j over exactly the rows where both
    are known."""
    x0, mask = _known(np.asarray(frame, dtype=float))
    return _from_sums(mask.T @ mask, x0.T @ mask, (x0 * x0).T @ mask, x0.T @ x0)


def _known(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The values with NaN as 0, and the 0/1 matrix of known values."""
    known = ~np.isnan(values)
    return np.where(known, values, 0.0), known.astype(float)


def _from_sums(n: np.ndarray, sums: np.ndarray, squares: np.ndarray, cross: np.ndarray) -> np.ndarray:
    """Correlations from the pairwise sums (each ``(..., k, k)``: one matrix or one per resample)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        covariance = n * cross - sums * np.swapaxes(sums, -1, -2)
        variance = n * squares - sums * sums
        corr = covariance / np.sqrt(variance * np.swapaxes(variance, -1, -2))
    corr = np.nan_to_num(corr, nan=0.0, posinf=0.0, neginf=0.0)
    diagonal = np.arange(corr.shape[-1])
    corr[..., diagonal, diagonal] = 1.0
    return np.clip(corr, -1.0, 1.0)


def relative_weights(drivers: pd.DataFrame, outcome: pd.Series) -> Weights:
    """Johnson's epsilons of the drivers' columns for the outcome."""
    return weights_of(correlations(pd.concat([outcome.rename("__y__"), drivers], axis=1)))


def weights_of(corr: np.ndarray) -> Weights:
    """Johnson's epsilons from the correlation matrix of (outcome, drivers...)."""
    rxx, rxy = corr[1:, 1:], corr[1:, 0]
    # Lambda = R^1/2 (symmetric square root); pairwise correlations can be slightly indefinite,
    # so negative eigenvalues are clipped (the closest positive semi-definite root).
    values, vectors = np.linalg.eigh(rxx)
    root = vectors @ np.diag(np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    beta = np.linalg.pinv(root) @ rxy  # the outcome regressed on the orthogonal Z
    raw = (root**2) @ (beta**2)
    return Weights(raw=raw, signs=np.sign(rxy), r_squared=float(raw.sum()))


class Resampler:
    """``correlations(values[draw])`` for draws of row indices, without copying the rows.

    A resample repeats row r c_r times (c: the draw's counts), so each pairwise sum is a sum over
    rows weighted by c. Observations fall into few patterns of known drivers (a dozen at 90,000
    observations: the accounts without ratings, without usage, ...), and within a pattern M is
    constant: n, the sums X0_i.M_j and the squares X0_i^2.M_j need only the count-weighted
    column sums per pattern (O(rows x drivers)); only the cross products X0_i.X0_j take a
    (drivers x rows) x (rows x drivers) product. The same sums as copying the resample's rows, up
    to the order of floating-point additions, in about 70% of the time (BENCHMARKS.md, "Key
    drivers: the bootstrap without row copies")."""

    def __init__(self, values: np.ndarray) -> None:
        x0, mask = _known(values)
        self.order = np.lexsort(mask.T[::-1])  # rows grouped by pattern of known values
        self.x0, sorted_mask = x0[self.order], mask[self.order]
        self.squares = self.x0 * self.x0
        new_pattern = np.any(sorted_mask[1:] != sorted_mask[:-1], axis=1)
        self.starts = np.concatenate([[0], np.flatnonzero(new_pattern) + 1])
        self.patterns = sorted_mask[self.starts]  # one 0/1 row per pattern
        self.rows = len(values)

    def correlations(self, draw: np.ndarray) -> np.ndarray:
        counts = np.bincount(draw, minlength=self.rows)[self.order].astype(float)
        weighted = self.x0 * counts[:, None]
        per_pattern = np.add.reduceat(counts, self.starts)
        x_sums = np.add.reduceat(weighted, self.starts)  # [pattern, i]: sum of c X0_i
        square_sums = np.add.reduceat(weighted * self.x0, self.starts)
        n = self.patterns.T @ (per_pattern[:, None] * self.patterns)
        return _from_sums(n, x_sums.T @ self.patterns, square_sums.T @ self.patterns, weighted.T @ self.x0)


@dataclass(frozen=True)
class Bootstrap:
    ci_low: np.ndarray  # 2.5th percentile of each driver's weight over the resamples
    ci_high: np.ndarray
    vs_random_low: np.ndarray  # percentile interval of weight - weight of a random driver
    vs_random_high: np.ndarray


def bootstrap(drivers: pd.DataFrame, outcome: pd.Series, resamples: int, seed: int) -> Bootstrap:
    """Percentile intervals over `resamples` resamples of the rows (numpy's PCG64 with `seed`).

    Significance (Tonidandel et al. 2009): a standard-normal noise column joins the drivers in
    every resample, and a driver counts only when the 95% interval of (its weight - the noise
    column's weight) lies above zero. A raw weight is never negative, so its own interval
    cannot "cover zero"; the difference to a driver known to be irrelevant can."""
    rng = np.random.default_rng(seed)
    n = len(outcome)
    noise = pd.Series(rng.standard_normal(n), index=drivers.index, name=RANDOM_DRIVER)
    # Column 0 the outcome, the drivers, the noise last: one pairwise correlation matrix per
    # resample serves both weightings (a pairwise correlation does not depend on other columns).
    values = pd.concat([outcome.rename("__y__"), drivers, noise], axis=1).to_numpy(dtype=float)
    plain, versus = [], []
    resampler = Resampler(values)
    for _ in range(resamples):
        corr = resampler.correlations(rng.integers(0, n, n))
        plain.append(weights_of(corr[:-1, :-1]).raw)
        weights = weights_of(corr).raw
        versus.append(weights[:-1] - weights[-1])
    plain_arr, versus_arr = np.array(plain), np.array(versus)
    return Bootstrap(
        ci_low=np.percentile(plain_arr, 2.5, axis=0),
        ci_high=np.percentile(plain_arr, 97.5, axis=0),
        vs_random_low=np.percentile(versus_arr, 2.5, axis=0),
        vs_random_high=np.percentile(versus_arr, 97.5, axis=0),
    )
