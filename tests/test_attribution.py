"""The attribution across the uncertainty range: recalibrated members, ranks among net-arrival measures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from environment.scenario import load
from environment.targets import measure_targets
from experiments import attribution, calibrate
from experiments import cost_effectiveness as ce
from experiments.uncertainty import members


def test_members_put_the_central_values_first_and_vary_within_the_declared_ranges():
    chosen = members(4, refit_scale=500)
    assert list(chosen.values.member) == [0, 1, 2, 3, 4]
    assert chosen.refit[0] == 500
    for key, low, high in chosen.factors:
        assert chosen.values[key].between(low, high).all()
        assert chosen.values[key].iloc[1:].nunique() == 4  # a Latin hypercube: one point per stratum
    assert members(0).values.shape[0] == 1


def test_attribution_across_members_ranks_the_net_arrival_measures(tmp_path, monkeypatch):
    monkeypatch.setattr(calibrate, "CACHE_DIR", tmp_path)
    plan = load("plan").with_run(scale=1000, seed=1)
    chosen, across = attribution.attribute_across(plan, 1, end=2023, refit_scale=1000, n_jobs=1)
    assert len(list(tmp_path.glob("*.json"))) == 2  # one refit per member, shared by its variants
    net = [m for m, t in measure_targets().items() if t.column == "net_migration"]
    for _, part in across[across.measure > 0].groupby("member"):
        ranked = part.set_index("measure")["rank"]
        marginal = part.set_index("measure").marginal[net]
        rank = ranked[net].astype(int)
        assert rank.min() == 1 and rank.max() <= len(net)
        for a in net:  # ranked by delivery, equal ranks only for equal deliveries (e.g. none at this scale)
            assert ((rank[a] < rank) == (marginal[a] > marginal)).all() and (
                (rank[a] == rank) == (marginal[a] == marginal)
            ).all()
        assert ranked.drop(net).isna().all()  # births and rural-to-urban moves are not ranked against arrivals
        assert ranked.idxmin() == marginal.idxmax()
        assert (part.reading == ce.FEW_PAIRS).all() and part.cost_rank.isna().all()  # one replicate: no cost test
    table = attribution.ranking(across)
    assert len(table) == len(measure_targets())
    assert (table.lowest <= table.central).all() and (table.central <= table.highest).all()
    text = attribution.format_ranking(chosen, table, "plan", 1, 2023)
    assert "Rank 1" in text and "`outside_pull_after_2020`" in text
    assert "Yuan per added resident across the uncertainties" in text and "0 of 2" in text
    # the members differ: the central run and the LHS point do not give the same deliveries
    by_member = across[across.measure > 0].pivot(index="measure", columns="member", values="marginal")
    assert not pd.Series(by_member[0]).equals(pd.Series(by_member[1]))


def _cost_rows(figures: dict[int, tuple[float, str]], member: int = 0) -> pd.DataFrame:
    """A delivery table's cost columns: measure → (yuan per added resident, reading)."""
    rows = []
    for m, (yuan, reading) in figures.items():
        shown = reading in (ce.PER_RESIDENT, ce.SAVED_PER_RESIDENT)
        rows.append(
            {
                "measure": m,
                "name_en": f"measure {m}",
                "name_zh": f"措施{m}",
                "counts": "net arrivals from outside Haimen",
                "marginal": 100.0 * m + member,
                "rank": pd.NA,
                "extra_yuan": 1e8,
                "extra_residents": 1e3,
                "residents_low": 5e2,
                "residents_high": 1.5e3,
                "yuan_per_added_resident": yuan if shown else np.nan,
                "low": 0.8 * yuan if shown else np.nan,
                "high": 1.5 * yuan if shown else np.nan,
                "at_low_unit_costs": 0.5 * yuan if shown else np.nan,
                "at_high_unit_costs": 2 * yuan if shown else np.nan,
                "reading": reading,
                "member": member,
            }
        )
    table = pd.DataFrame(rows)
    table["cost_rank"] = attribution.cost_ranks(table)
    return table


def test_cost_ranks_order_the_measurable_measures_by_fewest_yuan():
    table = _cost_rows(
        {
            1: (90_000.0, ce.PER_RESIDENT),
            2: (20_000.0, ce.PER_RESIDENT),
            3: (np.nan, ce.NO_EFFECT),
            4: (90_000.0, ce.PER_RESIDENT),
            5: (10_000.0, ce.SAVED_PER_RESIDENT),  # fewer residents for less money: not a cost of adding people
            6: (np.nan, ce.DOMINATED),
            7: (150_000.0, ce.PER_RESIDENT),
        }
    )
    ranks = table.set_index("measure").cost_rank
    assert ranks[[2, 1, 4, 7]].tolist() == [1, 2, 2, 4]  # ties share the better rank
    assert ranks[[3, 5, 6]].isna().all()
    text = "\n".join(attribution.format_costs(table, 2022, 2025))
    order = [int(line[6:].split()[0]) for line in text.splitlines()[3:]]
    assert order == [2, 1, 4, 7, 3, 5, 6]  # ranked first, then the measures without a figure
    assert "no measurable effect on residents" in text and "20,000 (16,000 to 30,000)" in text


def test_the_cost_ranking_across_members_gives_each_measures_range_and_ranks():
    across = pd.concat(
        [
            _cost_rows({1: (50_000.0, ce.PER_RESIDENT), 2: (40_000.0, ce.PER_RESIDENT)}, member=0),
            _cost_rows({1: (120_000.0, ce.PER_RESIDENT), 2: (70_000.0, ce.PER_RESIDENT)}, member=1),
            _cost_rows({1: (np.nan, ce.NO_EFFECT), 2: (60_000.0, ce.PER_RESIDENT)}, member=2),
        ],
        ignore_index=True,
    )
    table = attribution.ranking(across).set_index("measure")
    one, two = table.loc[1], table.loc[2]
    assert (one.cost_central, one.cost_lowest, one.cost_highest) == (50_000, 50_000, 120_000)
    assert one.cost_measured_at == 2 and one.cost_ranks == "2,2,–"
    assert (one.best_cost_rank, one.worst_cost_rank) == (2, 2)
    assert (two.cost_lowest, two.cost_highest, two.cost_measured_at, two.cost_ranks) == (40_000, 70_000, 3, "1,1,1")
    assert list(table.central) == [100.0, 200.0] and list(table.highest) == [102.0, 202.0]
    lines = attribution.format_cost_ranking(table.reset_index(), 3, 2025)
    rows = [line for line in lines if line.startswith("| 1 ") or line.startswith("| 2 ")]
    assert rows[0].startswith("| 2 ")  # the cheapest at every member first
    assert "| 50,000 | 50,000 | 120,000 | 2 of 3 | 2,2,– | 2–2 |" in rows[1]
