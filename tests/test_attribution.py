"""The attribution across the uncertainty range: recalibrated members, ranks among net-arrival measures."""

from __future__ import annotations

import pandas as pd

from environment.scenario import load
from environment.targets import measure_targets
from experiments import attribution, calibrate
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
        assert ranked.idxmin() == part.set_index("measure").marginal[net].idxmax()
    table = attribution.ranking(across)
    assert len(table) == len(measure_targets())
    assert (table.lowest <= table.central).all() and (table.central <= table.highest).all()
    text = attribution.format_ranking(chosen, table, "plan", 1, 2023)
    assert "Rank 1" in text and "`outside_pull_after_2020`" in text
    # the members differ: the central run and the LHS point do not give the same deliveries
    by_member = across[across.measure > 0].pivot(index="measure", columns="member", values="marginal")
    assert not pd.Series(by_member[0]).equals(pd.Series(by_member[1]))
