"""Yuan per added resident: Fieller's interval on paired replicates, closed forms, and the "no measurable effect"
rule; a run's totals over a period, at the central and the low and high unit costs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import t as student

from abm.recording import spending_at
from experiments import cost_effectiveness as ce
from experiments.paired import fieller


def test_a_ratio_known_exactly_has_a_zero_width_interval():
    extra_residents = np.array([1000.0, 1200.0, 900.0, 1100.0, 1300.0])
    r = fieller(64_000 * extra_residents, extra_residents)
    assert r.bounded and r.pairs == 5
    assert r.estimate == pytest.approx(64_000) and r.low == pytest.approx(64_000) and r.high == pytest.approx(64_000)


def test_fixed_spending_gives_the_inverted_t_interval_of_the_residents():
    """With the same extra spending in every pair, the ratio's interval is the spending over the residents' own
    t-interval, inverted: a / (b ± t·se)."""
    residents = np.array([980.0, 1010.0, 1040.0, 995.0, 1025.0])
    r = fieller(np.full(5, 5e7), residents)
    t = student.ppf(0.975, 4)
    se = residents.std(ddof=1) / np.sqrt(5)
    assert r.low == pytest.approx(5e7 / (residents.mean() + t * se))
    assert r.high == pytest.approx(5e7 / (residents.mean() - t * se))
    assert r.estimate == pytest.approx(5e7 / residents.mean())


def test_fieller_bounds_solve_its_quadratic():
    rng = np.random.default_rng(3)
    residents = rng.normal(2000, 300, 6)
    spending = 1e5 * residents + rng.normal(0, 3e7, 6)
    r = fieller(spending, residents)
    a, b = spending.mean(), residents.mean()
    cov = np.cov(spending, residents, ddof=1) / 6
    t = student.ppf(0.975, 5)
    for bound in (r.low, r.high):
        lhs = (a - bound * b) ** 2
        rhs = t**2 * (cov[0, 0] - 2 * bound * cov[0, 1] + bound**2 * cov[1, 1])
        assert lhs == pytest.approx(rhs, rel=1e-9)
    assert r.low < r.estimate < r.high


def test_residents_indistinguishable_from_zero_give_no_figure():
    residents = np.array([300.0, -250.0, 120.0, -90.0, 40.0])  # t-interval straddles zero
    r = fieller(np.full(5, 1e8), residents)
    assert not r.bounded and np.isnan(r.low) and np.isnan(r.high)
    pairs = pd.DataFrame({"external_yuan": np.zeros(5), "external_yuan_0": np.zeros(5)})
    extra = {"residents": residents, "yuan": np.full(5, 1e8), "yuan_low": np.full(5, 5e7), "yuan_high": np.full(5, 2e8)}
    row = ce.ratio_row(extra, pairs)
    assert row["reading"] == ce.NO_EFFECT
    for column in ("yuan_per_added_resident", "low", "high", "at_low_unit_costs", "at_high_unit_costs"):
        assert np.isnan(row[column]), column
    assert row["extra_yuan"] == pytest.approx(1e8) and row["extra_residents"] == pytest.approx(24.0)
    assert ce.shown(row) == "no measurable effect on residents"


def test_one_pair_is_no_test():
    row = ce.ratio_row(
        {
            "residents": np.array([5000.0]),
            "yuan": np.array([1e9]),
            "yuan_low": np.array([1e9]),
            "yuan_high": np.array([1e9]),
        },
        pd.DataFrame({"external_yuan": [0.0], "external_yuan_0": [0.0]}),
    )
    assert row["reading"] == ce.FEW_PAIRS and np.isnan(row["yuan_per_added_resident"])


@pytest.mark.parametrize(
    ("residents", "yuan", "reading", "figure"),
    [
        (1000.0, 5e7, ce.PER_RESIDENT, True),
        (-1000.0, -5e7, ce.SAVED_PER_RESIDENT, True),
        (-1000.0, 5e7, ce.DOMINATED, False),
        (1000.0, -5e7, ce.DOMINANT, False),
    ],
)
def test_signs_of_the_two_differences(residents, yuan, reading, figure):
    noise = np.array([0.98, 1.0, 1.02, 0.99, 1.01])
    extra = {"residents": residents * noise, "yuan": np.full(5, yuan), "yuan_low": np.full(5, yuan / 2)}
    extra["yuan_high"] = np.full(5, 2 * yuan)
    row = ce.ratio_row(extra, pd.DataFrame({"external_yuan": np.zeros(5), "external_yuan_0": np.zeros(5)}))
    assert row["reading"] == reading
    assert np.isnan(row["yuan_per_added_resident"]) != figure
    if figure:
        assert row["yuan_per_added_resident"] == pytest.approx(yuan / (residents * noise.mean()))
        assert row["at_low_unit_costs"] == pytest.approx(row["yuan_per_added_resident"] / 2)


def _spending(years, yuan: float) -> pd.DataFrame:
    rows = [
        {"year": y, "measure": m, "lever": lever, "recipients": 0.0, "yuan": yuan, "external_yuan": 0.0}
        for y in years
        for m, lever in ((7, "rent_subsidy"), (5, "school_seats"))
    ]
    return pd.DataFrame(rows)


def test_a_runs_totals_count_the_period_only_and_every_unit_cost_level():
    population = pd.Series(np.arange(2020, 2036) * 10.0 + 1e6, index=range(2020, 2036))
    spending = _spending(range(2022, 2036), 1e6)
    totals = ce.run_totals(population, spending, ce.periods(2035)).set_index(["first", "last"])
    assert list(totals.index) == [(2022, 2025), (2022, 2035)]
    assert totals.loc[(2022, 2025), "residents"] == pytest.approx(40.0)  # 2025 minus 2021: gained over the period
    assert totals.loc[(2022, 2025), "yuan"] == pytest.approx(8e6)
    low = spending_at(spending, "low")
    assert totals.loc[(2022, 2035), "yuan_low"] == pytest.approx(low.yuan.sum())
    assert totals.loc[(2022, 2035), "yuan_high"] == pytest.approx(spending_at(spending, "high").yuan.sum())
    assert totals.loc[(2022, 2035), "yuan_low"] < totals.loc[(2022, 2035), "yuan"]
    none = ce.run_totals(population, None, ce.periods(2025))
    assert list(none.yuan) == [0.0] and list(none.residents) == [40.0]
    assert ce.periods(2021) == [] and ce.periods(2023) == [(2022, 2023)]


def test_cost_per_resident_divides_extra_spending_by_extra_residents():
    """Reference and scenario both spend; the figure is (S₁ − S₀) ÷ (N₁ − N₀), pair by pair, never S₁ ÷ (N₁ − N₀)."""
    rows = []
    for k, (gain0, gain1) in enumerate([(5000, 6000), (5200, 6150), (4900, 5950)]):
        for variant, gain, yuan in (("plan", gain0, 9e9), ("mine", gain1, 9e9 + 1e8)):
            rows.append(
                {
                    "variant": variant,
                    "replicate": k,
                    "first": 2022,
                    "last": 2025,
                    "residents": gain,
                    "yuan": yuan,
                    "yuan_low": yuan / 2,
                    "yuan_high": yuan * 2,
                    "external_yuan": 0.0,
                }
            )
    table = ce.cost_per_resident(pd.DataFrame(rows), "mine", "plan")
    (row,) = table.to_dict("records")
    assert row["extra_yuan"] == pytest.approx(1e8)
    assert row["extra_residents"] == pytest.approx(1000.0)
    assert row["yuan_per_added_resident"] == pytest.approx(1e5)  # not 9.1e9 / 1000
    assert row["at_low_unit_costs"] == pytest.approx(5e4) and row["at_high_unit_costs"] == pytest.approx(2e5)
    assert row["low"] < 1e5 < row["high"] and row["reading"] == ce.PER_RESIDENT


def test_a_fixed_cost_per_resident_plus_overhead_has_a_closed_form_interval():
    """Spending ``c·N + k`` in every pair (a cost per resident c, an overhead k): Fieller's quadratic becomes
    ``(k − u b)² ≤ t² σ² u²`` in ``u = R − c``, so the interval is ``c + k / (b ± t σ)`` (σ: the residents' s.e.)."""
    residents = np.array([1900.0, 2150.0, 2020.0, 1880.0, 2100.0, 1950.0])
    c, k = 40_000.0, 3e7
    r = fieller(c * residents + k, residents)
    t = student.ppf(0.975, len(residents) - 1)
    b, se = residents.mean(), residents.std(ddof=1) / np.sqrt(len(residents))
    assert r.bounded
    assert r.estimate == pytest.approx(c + k / b)
    assert r.low == pytest.approx(c + k / (b + t * se), rel=1e-9)
    assert r.high == pytest.approx(c + k / (b - t * se), rel=1e-9)
    saved = fieller(c * residents - k, residents)  # an overhead saved: the interval flips round the same centre
    assert saved.low == pytest.approx(c - k / (b - t * se), rel=1e-9)
    assert saved.high == pytest.approx(c - k / (b + t * se), rel=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_bounded_exactly_when_the_extra_residents_are_distinguishable_from_zero(seed):
    """Fieller's interval is finite exactly when the residents' own 95 % t-interval excludes zero; on either side of
    that edge (the mean at 1 ± 10⁻⁶ of t·s.e.) the ratio flips from a figure to none."""
    from experiments.paired import interval

    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 9))
    noise = rng.normal(0, 500, n)
    noise -= noise.mean()
    edge = student.ppf(0.975, n - 1) * noise.std(ddof=1) / np.sqrt(n)
    sign = 1 if seed % 2 else -1
    spending = sign * rng.normal(1e8, 2e7, n)  # fewer residents for less spending: still a figure
    for factor, bounded in ((1 + 1e-6, True), (1 - 1e-6, False), (3.0, True), (0.2, False)):
        residents = sign * factor * edge + noise
        low, high = interval(residents.mean(), residents.std(ddof=1), n)
        assert (low > 0 or high < 0) == bounded
        r = fieller(spending, residents)
        assert r.bounded == bounded, factor
        assert np.isfinite(r.low) == bounded and np.isfinite(r.high) == bounded
        if bounded:
            assert r.low <= r.estimate <= r.high
        extra = {"residents": residents, "yuan": spending, "yuan_low": spending, "yuan_high": spending}
        row = ce.ratio_row(extra, pd.DataFrame({"external_yuan": np.zeros(n), "external_yuan_0": np.zeros(n)}))
        assert ce.measurable(pd.DataFrame([row])).iloc[0] == bounded
        assert (row["reading"] == ce.NO_EFFECT) != bounded


def test_fieller_scales_with_the_spending_and_has_no_figure_without_pairs():
    rng = np.random.default_rng(11)
    residents = rng.normal(3000, 400, 5)
    spending = 5e4 * residents + rng.normal(0, 1e7, 5)
    one, ten = fieller(spending, residents), fieller(10 * spending, residents)
    assert (ten.estimate, ten.low, ten.high) == pytest.approx((10 * one.estimate, 10 * one.low, 10 * one.high))
    assert not fieller([], []).bounded and fieller([], []).pairs == 0
    assert not fieller(spending, residents - residents.mean()).bounded  # a mean of exactly zero


def test_the_shown_figure_and_the_periods():
    row = {"yuan_per_added_resident": 64_123.4, "low": 52_000.0, "high": 80_456.0, "reading": ce.PER_RESIDENT}
    assert ce.shown(row) == "64,123 (52,000 to 80,456)"
    assert ce.shown({"yuan_per_added_resident": np.nan, "reading": ce.DOMINATED}) == DOMINATED_EN
    assert ce.periods(2025) == [(2022, 2025)] and ce.periods(2035) == [(2022, 2025), (2022, 2035)]


DOMINATED_EN = "more spending, fewer residents"
