"""Levers that reach few agents at a coarse scale: counted by the model's own rules, warned of by run, compare and
sweep; a factor with exactly zero effect flagged by sensitivity."""

from __future__ import annotations

import numpy as np
import pytest

from abm import MigrationModel
from agents.pools import draw_pool
from agents.residence import describe_all, households_weighing_a_move, subsidies
from environment.places import places
from environment.scenario import load
from environment.settings import levers
from environment.targets import PLAN_ADOPTED
from experiments.cli import main
from experiments.eligibility import MIN_AGENTS, changed_levers, eligible_agents, few_agents, paying_levers, reached_by
from experiments.sensitivity import NO_EFFECT, analyse, format_table
from experiments.sweep import parse
from experiments.sweep_runner import run_sweep

SCALE, SEED = 200, 3


@pytest.mark.parametrize("key", paying_levers())
def test_whom_a_lever_reaches_is_whom_the_model_pays(key):
    """With only this lever paying, the deciders whose move into Haimen is worth a payment are exactly those the
    lever's rule picks (among the year's movers and residents weighing a move)."""
    value = levers()[key].plan
    model = MigrationModel(scale=SCALE, end=PLAN_ADOPTED, rng=SEED, **{key: value})
    pool = draw_pool(model.settings, SEED, PLAN_ADOPTED, SCALE)
    residents = households_weighing_a_move(model.population, model.world, SEED, PLAN_ADOPTED)
    parts = [(model.population, residents, False), (pool, np.arange(len(pool.households)), True)]
    d = describe_all(parts, model.world, PLAN_ADOPTED, SEED)
    paid = (subsidies(d, model.world, PLAN_ADOPTED)[:, places().alt_in_haimen] > 0).any(axis=1)
    reached = reached_by(d, key)
    assert reached.sum() > 0
    np.testing.assert_array_equal(paid, reached)


def test_eligible_agents_grow_as_the_scale_gets_finer():
    plan = load("plan").settings
    coarse, fine = eligible_agents(plan, 1000, 1), eligible_agents(plan, 100, 1)
    for key in paying_levers():  # ten times the agents at a ten times finer scale, give or take a few agents' chance
        assert fine[key] > coarse[key] and 3 <= fine[key] / max(coarse[key], 1) <= 30, (key, coarse[key], fine[key])


def test_a_coarse_scale_warns_of_the_levers_changed_and_names_a_finer_scale():
    plan = load("plan").settings
    assert changed_levers([{}, {}]) == [] and few_agents(plan, 1000, 1, compared=[plan, plan]) == []
    assert set(changed_levers([{}, plan])) == set(paying_levers())
    lines = few_agents(plan, 1000, 1, compared=[{}, plan])
    counts = eligible_agents(plan, 1000, 1)
    assert [line.split()[1] for line in lines] == [k for k in changed_levers([{}, plan]) if counts[k] < MIN_AGENTS]
    assert any(line.split()[1] == "talent_purchase_subsidy" for line in lines)
    assert all("rerun at 1:" in line for line in lines)
    assert few_agents(plan, 10, 1, compared=[{}, plan]) == []  # the scenarios' own scale reaches enough
    (only,) = few_agents(plan, 1000, 1, factors=["talent_purchase_subsidy", "beta_access"])
    assert only.startswith("warning: talent_purchase_subsidy (人才购房补贴) reaches ")


@pytest.mark.parametrize(
    "command",
    [
        ["run", "plan", "--scale", "1000", "--years", "2020:2021", "--no-plots", "--quiet"],
        ["compare", "baseline", "plan", "--scale", "1000", "--replicates", "1", "--years", "2020:2021", "--jobs", "1"],
    ],
    ids=["run", "compare"],
)
def test_run_and_compare_warn_before_running(tmp_path, capsys, command):
    assert main([*command, "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "warning: talent_purchase_subsidy (人才购房补贴) reaches" in err


def test_a_sweep_warns_and_sensitivity_flags_a_factor_with_exactly_zero_effect(tmp_path, capsys):
    """hsr_year from 2030 to 2035 in runs that end in 2022: the line never opens, so its effect is exactly zero."""
    sweep = {
        "name": "zero",
        "base": "plan",
        "seed": 5,
        "run": {"scale": 1000, "years": "2020:2022"},
        "design": {"kind": "morris", "samples": 2, "levels": 4},
        "vary": {"beta_access": {}, "hsr_year": {"low": 2030, "high": 2035}},
    }
    out = tmp_path / "zero"
    run_sweep(parse(sweep, "zero.toml"), out, backend="serial", progress=False)
    table = analyse(out, ["haimen_population@2022"]).set_index("factor")
    assert table.loc["hsr_year", "mu_star"] == 0 and table.loc["beta_access", "mu_star"] > 0
    assert table.loc["hsr_year", "note"] == f"{NO_EFFECT} (1:1000)" and table.loc["beta_access", "note"] == ""
    assert f"hsr_year: {NO_EFFECT}" in format_table(table.reset_index())
    assert main(["sensitivity", str(out), "--outcome", "haimen_population@2022"]) == 0
    assert NO_EFFECT in capsys.readouterr().out
    (out.parent / "lever.toml").write_text(
        'base = "plan"\n[run]\nscale = 1000\nyears = "2020:2021"\n[design]\nkind = "grid"\n'
        "[vary]\ntalent_purchase_subsidy = { values = [0, 300000] }\n",
        encoding="utf-8",
    )
    lever = ["sweep", str(out.parent / "lever.toml"), "--backend", "serial", "--no-progress"]
    assert main([*lever, "--out", str(tmp_path / "lever")]) == 0
    assert "warning: talent_purchase_subsidy" in capsys.readouterr().err
