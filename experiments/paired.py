"""Statistics of paired replicates: the t-interval of a mean difference and Fieller's interval of a ratio of two.

Scenarios compared run on the same seeds, so replicate k of one and replicate k of the other differ by their
settings alone; the differences of the pairs are independent draws, and their mean, its interval and ratios of two
such means are what the reports show. Intervals are at :data:`LEVEL` with Student's t on ``n − 1`` degrees of freedom.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEVEL = 0.95


def t_quantile(n: int | np.ndarray) -> np.ndarray:
    """Student's t quantile of a two-sided :data:`LEVEL` interval from ``n`` replicates (``n − 1`` d.f.)."""
    from scipy.stats import t

    return t.ppf(0.5 + LEVEL / 2, np.maximum(np.asarray(n, float) - 1, 1))


def interval(mean, std, n) -> tuple[np.ndarray, np.ndarray]:
    """The 95 % t-interval of a mean from its standard deviation and count (the mean itself when n = 1)."""
    n = np.asarray(n, float)
    half = np.where(n > 1, t_quantile(n) * np.nan_to_num(std) / np.sqrt(np.maximum(n, 1)), 0.0)
    return np.asarray(mean) - half, np.asarray(mean) + half


@dataclass(frozen=True)
class Ratio:
    """``numerator.mean() / denominator.mean()`` of paired differences, with Fieller's interval.

    ``bounded`` is False when the denominator's mean is not distinguishable from zero at :data:`LEVEL` (its own
    t-interval contains 0, or fewer than two pairs): Fieller's set is then unbounded and there is no ratio to report.
    """

    estimate: float
    low: float
    high: float
    bounded: bool
    pairs: int


def fieller(numerator, denominator) -> Ratio:
    """The ratio of the means of two paired samples and its Fieller interval (Fieller 1954).

    With means ``a``, ``b``, their variances ``v11``, ``v22`` and covariance ``v12`` (sample (co)variances over
    ``n``) and ``t`` the quantile on ``n − 1`` d.f., the interval is the set of ``R`` with
    ``(a − R b)² ≤ t² (v11 − 2 R v12 + R² v22)``. It is finite exactly when ``g = t² v22 / b² < 1``, i.e. when the
    denominator's own t-test rejects zero; then it is::

        [R − t² v12 / b² ± (t / |b|) √(v11 − 2 R v12 + R² v22 − t² (v11 v22 − v12²) / b²)] / (1 − g)

    It is exact for normal pair differences and never gives a number for a denominator indistinguishable from zero.
    """
    x = np.asarray(numerator, float)
    y = np.asarray(denominator, float)
    n = len(x)
    if n == 0:
        return Ratio(np.nan, np.nan, np.nan, False, 0)
    a, b = x.mean(), y.mean()
    estimate = a / b if b != 0 else np.nan
    if n < 2 or b == 0:
        return Ratio(estimate, np.nan, np.nan, False, n)
    cov = np.cov(x, y, ddof=1) / n
    v11, v12, v22 = cov[0, 0], cov[0, 1], cov[1, 1]
    t = float(t_quantile(n))
    g = t * t * v22 / (b * b)
    if g >= 1:
        return Ratio(estimate, np.nan, np.nan, False, n)
    centre = estimate - t * t * v12 / (b * b)
    spread = v11 - 2 * estimate * v12 + estimate**2 * v22 - t * t * (v11 * v22 - v12 * v12) / (b * b)
    half = t / abs(b) * np.sqrt(max(spread, 0.0))
    return Ratio(estimate, (centre - half) / (1 - g), (centre + half) / (1 - g), True, n)
