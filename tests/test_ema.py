"""The model as an EMA Workbench model: perform_experiments, prim, feature_scoring and optimize with no glue."""

from __future__ import annotations

import numpy as np
import pytest

from environment import scenario as sc
from environment.settings import levers, parameters
from experiments.ema import NEVER_IS_LAST_PLUS, ema_model, import_workbench

ema = import_workbench()
UNCERTAINTIES = ["beta_access", "beta_income", "retirement_age_male"]
LEVERS = ["rent_subsidy", "hsr_year", "bus_integration"]
OUTCOMES = ("haimen_population@2022", "spending@2022")


def tiny(seeds=(1, 2), **kwargs):
    """The model at 1:1000 to 2022 (about 0.1 s a run)."""
    args = {"uncertainties": UNCERTAINTIES, "levers_searched": LEVERS, "outcomes": OUTCOMES, "directions": {}}
    return ema_model(scale=1000, seeds=seeds, **({"end": 2022} | args | kwargs))


def test_parameters_kinds_ranges_and_defaults_come_from_the_registries():
    model = ema_model()  # every uncalibrated parameter, every modelled lever
    assert {u.name for u in model.uncertainties} == {k for k, p in parameters().items() if not p.calibrated}
    assert {lv.name for lv in model.levers} == {k for k, lv in levers().items() if lv.modelled}
    by_name = {p.name: p for p in [*model.uncertainties, *model.levers]}
    assert isinstance(by_name["bus_integration"], ema.BooleanParameter)
    assert isinstance(by_name["rent_subsidy"], ema.IntegerParameter) and by_name["rent_subsidy"].upper_bound == 3000
    assert isinstance(by_name["beta_income"], ema.RealParameter) and by_name["beta_income"].lower_bound == 0.8
    after_plan = by_name["after_plan"]  # a choice among names
    assert isinstance(after_plan, ema.CategoricalParameter)
    assert [c.name for c in after_plan.categories] == list(parameters()["after_plan"].values)
    hsr = by_name["hsr_year"]  # 2025–2035, or never (= 2036)
    assert (hsr.lower_bound, hsr.upper_bound) == (2025, 2035 + NEVER_IS_LAST_PLUS) and hsr.default == 2027
    assert by_name["rent_subsidy"].default == levers()["rent_subsidy"].plan  # the base scenario's (plan) value
    assert {o.name for o in model.outcomes} >= {"haimen_population_2025", "spending_2022_2025"}
    with pytest.raises(ValueError, match="calibrated constant"):
        ema_model(uncertainties=["asc_haimen"], recalibrate=(50, (1,)))


def test_perform_experiments_and_prim_and_feature_scoring_with_no_glue():
    from ema_workbench.analysis import feature_scoring, prim

    model = tiny()
    experiments, outcomes = ema.perform_experiments(
        model,
        scenarios=6,
        policies=2,
        evaluator=ema.SequentialEvaluator(model),
        uncertainty_sampling_kwargs={"rng": 1},  # a fixed design: PRIM's box below is then always the same
        lever_sampling_kwargs={"rng": 2},
    )
    assert len(experiments) == 12 and set(outcomes) == {"haimen_population_2022", "spending_2022"}
    assert np.all(outcomes["haimen_population_2022"] > 9e5)
    x = experiments[UNCERTAINTIES + LEVERS]
    y = outcomes["haimen_population_2022"] >= np.median(outcomes["haimen_population_2022"])
    box = prim.Prim(x, y)
    assert box.find_box().peeling_trajectory.density.iloc[-1] > y.mean()
    scores = feature_scoring.get_feature_scores_all(x, outcomes)
    assert set(scores.index) == set(UNCERTAINTIES + LEVERS)


def test_an_experiment_is_the_mean_of_the_runners_runs_on_the_seeds():
    from experiments.runner import RunSpec, run_model

    model = tiny(seeds=(1, 2))
    point = {"beta_access": 0.7, "beta_income": 1.9, "retirement_age_male": 62}
    policy = {"rent_subsidy": 1200, "hsr_year": 2035 + NEVER_IS_LAST_PLUS, "bus_integration": True}
    _, outcomes = ema.perform_experiments(
        model,
        scenarios=[ema.Sample("s", **point)],
        policies=[ema.Sample("p", **policy)],
        evaluator=ema.SequentialEvaluator(model),
    )
    settings = dict(sc.load("plan").settings) | point | policy | {"hsr_year": None}  # last year + 1 is never
    expected = {"haimen_population_2022": 0.0, "spending_2022": 0.0}
    for seed in (1, 2):
        table = run_model(RunSpec(settings, scale=1000, seed=seed, end=2022)).outcomes()
        for key in ("haimen_population", "spending"):
            expected[f"{key}_2022"] += table.loc[(table.outcome == key) & (table.year == 2022), "value"].item() / 2
    for name, value in expected.items():
        assert outcomes[name][0] == pytest.approx(value, rel=1e-12)


def test_a_choice_parameter_reaches_the_model():
    model = tiny(uncertainties=["after_plan"], levers_searched=[], outcomes=("haimen_population@2027",), end=2027)
    choices = [ema.Sample(c, after_plan=c) for c in ("stop", "continue")]
    experiments, outcomes = ema.perform_experiments(model, scenarios=choices, evaluator=ema.SequentialEvaluator(model))
    by_choice = dict(zip(experiments.after_plan.astype(str), outcomes["haimen_population_2027"], strict=True))
    assert (
        by_choice["continue"] > by_choice["stop"]
    )  # the plan's yearly programmes continuing after 2025 bring more people by 2027


def test_policies_under_a_scenario_share_their_seeds_and_never_is_the_last_year_plus_one():
    model = tiny(levers_searched=["rent_subsidy", "hsr_year"])
    never = levers()["hsr_year"].high + NEVER_IS_LAST_PLUS
    same = [ema.Sample("a", rent_subsidy=600, hsr_year=2027), ema.Sample("b", rent_subsidy=600, hsr_year=2027)]
    experiments, outcomes = ema.perform_experiments(
        model,
        scenarios=2,
        policies=[*same, ema.Sample("c", rent_subsidy=600, hsr_year=never)],
        evaluator=ema.SequentialEvaluator(model),
    )
    value = outcomes["haimen_population_2022"]
    a, b = (experiments.policy == "a").to_numpy(), (experiments.policy == "b").to_numpy()
    np.testing.assert_array_equal(value[a], value[b])  # the same policy twice: the same dice, the same result
    assert (experiments.hsr_year == never).sum() == 2  # "never" ran (it opens after 2022 either way)


def test_multiprocessing_evaluator_gives_the_sequential_results():
    model = tiny(seeds=(3,))
    scenarios = [
        ema.Sample(f"s{i}", beta_access=a, beta_income=b, retirement_age_male=r)
        for i, (a, b, r) in enumerate([(0.4, 1.0, 60), (0.9, 2.2, 63), (0.6, 1.5, 61)])
    ]
    _, sequential = ema.perform_experiments(model, scenarios=scenarios, evaluator=ema.SequentialEvaluator(model))
    with ema.MultiprocessingEvaluator(model, n_processes=2) as evaluator:
        experiments, parallel = evaluator.perform_experiments(scenarios=scenarios)
    order = np.argsort(experiments.scenario.astype(str).to_numpy())  # results may come back in another order
    for name, values in sequential.items():
        np.testing.assert_array_equal(parallel[name][order], values)


@pytest.mark.slow
def test_ema_optimize_runs_on_the_model(tmp_path):
    # EMA Workbench 3.0's optimize cannot decode a Boolean or categorical lever (platypus' Subset): numbers only
    directions = {"haimen_population@2022": "max", "spending@2022": "min"}
    model = tiny(seeds=(1,), levers_searched=["rent_subsidy", "hsr_year"], directions=directions)
    results, _ = ema.optimize(
        model,
        nfe=24,
        searchover="levers",
        epsilons=[1000, 1e7],
        evaluator=ema.SequentialEvaluator(model),
        rng=1,
        population_size=8,
        filename="archive.tar.gz",
        directory=str(tmp_path),
    )
    assert len(results) >= 1 and {"haimen_population_2022", "spending_2022"} <= set(results.columns)
