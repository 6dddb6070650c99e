"""A 1:10 and a 1:100 run of the baseline agree on Haimen's aggregates within sampling error.

Agents stand for ``scale`` households each, so a coarser run is a noisier (not a
different) estimate of the same quantities. The noise is estimated, not
invented: the spread over K seeds at 1:100 gives its standard deviation σ₁₀₀;
at 1:10 each agent stands for a tenth as many people, so the variance is a tenth
(σ₁₀ = σ₁₀₀/√10). The difference between the 1:10 mean (M seeds) and the 1:100
mean then has standard error σ₁₀₀·√(1/K + 1/(10·M)), and must lie within the
two-sided 99.9 % quantile of Student's t with K−1 degrees of freedom (3.8 for
K = 24) times that error. Deterministic (fixed seeds), so it either always
passes or always fails.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from experiments.runner import RunSpec, run

K, M = 24, 4  # seeds at 1:100 and at 1:10 (12 and 2 did not detect a 0.4 % bias that 24 and 4 did)
END = 2025


def aggregates(tables) -> dict[str, float]:
    s = tables["summary"].set_index("year")
    years = s.index > 2020
    return {
        "population_2025": s.haimen_population[END],
        "urbanization_2025": s.urbanization[END],
        "net_migration_2021_2025": s.net_migration[years].sum(),
        "natural_change_2021_2025": (s.births[years] - s.deaths[years]).sum(),
    }


@pytest.fixture(scope="module")
def runs():
    coarse = [aggregates(run(RunSpec(scale=100, seed=seed, end=END))) for seed in range(1, K + 1)]
    fine = [aggregates(run(RunSpec(scale=10, seed=seed, end=END))) for seed in range(1, M + 1)]
    return coarse, fine


@pytest.mark.slow
@pytest.mark.parametrize(
    "measure",
    [
        "population_2025",
        "urbanization_2025",
        "net_migration_2021_2025",
        "natural_change_2021_2025",
    ],
)
def test_scales_agree_within_sampling_error(runs, measure):
    coarse = np.array([r[measure] for r in runs[0]])
    fine = np.array([r[measure] for r in runs[1]])
    sigma = coarse.std(ddof=1)
    assert sigma > 0, "different seeds should give different results"
    se = sigma * np.sqrt(1 / K + 1 / (10 * M))
    limit = stats.t.ppf(1 - 0.0005, df=K - 1) * se
    gap = fine.mean() - coarse.mean()
    assert abs(gap) <= limit, f"{measure}: 1:10 {fine.mean():.4g} vs 1:100 {coarse.mean():.4g} (±{limit:.3g})"


@pytest.mark.slow
def test_sampling_error_is_small_relative_to_the_plan_gap(runs):
    """The 1:100 noise in 2025's population is well below the plan's 110,000-person ambition (so 1:100 is usable)."""
    coarse = np.array([r["population_2025"] for r in runs[0]])
    assert coarse.std(ddof=1) < 0.1 * (1_100_000 - 991_782)
