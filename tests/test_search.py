"""The robust lever search (``abm optimize``): a known optimum, the Pareto set, resuming, scenario files, bad files."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from environment.scenario import load as load_scenario
from experiments import search_report, sweep_store
from experiments.backends import Backend
from experiments.cli import main
from experiments.criteria import parse_objective, parse_requirement
from experiments.optimize import optimize
from experiments.runner import RunResult, RunSpec
from experiments.search import GeneticSettings, Problem, pareto_set, search
from experiments.search_spec import SearchSpecError, load, parse
from experiments.sweep import Factor

MIN_COST = parse_objective("min mean(spending@2022:2025)", "t", "o")
MAX_SHARE = parse_objective("max share(haimen_population@2025 >= 110万)", "t", "o")
ROBUST = parse_requirement("share(haimen_population@2025 >= 110万) >= 80%", "t", "r")
SERIAL = Backend("serial")


# ------------------------------------------------------------------ the search core on a stub evaluation

THRESHOLDS = np.linspace(0.05, 0.95, 10)  # ten "uncertainty points": a mix reaches the target where x ≥ u


def stub_evaluate(candidates: list[dict]) -> np.ndarray:
    """Cost = rent subsidy (+ 50 for buses, + 1000 × amenity, which does nothing); reach = rent/3000 (+ 0.1 with
    buses) against ten thresholds. Cheapest mix reaching 80 % of them: rent 1950 with buses, cost 2000."""
    rows = []
    for c in candidates:
        reach = c["rent_subsidy"] / 3000 + (0.1 if c["bus_integration"] else 0.0)
        cost = c["rent_subsidy"] + 1000 * c["green_amenity"] + (50 if c["bus_integration"] else 0)
        rows.append([cost, np.mean(reach + 1e-12 >= THRESHOLDS)])
    return np.array(rows)


STUB = Problem(
    factors=(
        Factor("rent_subsidy", "int", 0, 3000),
        Factor("green_amenity", "float", 0.0, 0.2),
        Factor("bus_integration", "bool", values=(False, True)),
    ),
    objectives=(MIN_COST, MAX_SHARE),
    require=(ROBUST,),
)


def test_search_finds_the_known_cheapest_robust_mix_and_a_monotone_front():
    result = search(STUB, stub_evaluate, GeneticSettings(population=24, generations=30, seed=3))
    front = result.archive.loc[result.pareto]
    cost, share = front[MIN_COST.measure.text].to_numpy(), front[MAX_SHARE.measure.text].to_numpy()
    assert np.all(np.diff(cost) > 0) and np.all(np.diff(share) > 0)  # more reach costs more: a true trade-off
    robust = front[share >= 0.8]
    assert 2000 <= robust[MIN_COST.measure.text].min() <= 2000 * 1.02  # the optimum, 2000, within 2 %
    assert front.green_amenity.max() < 0.02  # the useless lever is left near zero
    assert set(np.round(share, 1)) == {round(x, 1) for x in np.arange(0, 1.01, 0.1)}  # every level of reach found


def test_search_is_deterministic_and_a_replay_asks_for_nothing_new():
    settings = GeneticSettings(population=12, generations=6, seed=5)
    first = search(STUB, stub_evaluate, settings)
    asked: list[dict] = []
    known = {tuple(c.items()): m for c, m in zip(first.candidates, stub_evaluate(first.candidates), strict=True)}

    def replay(candidates):
        asked.extend(c for c in candidates if tuple(c.items()) not in known)
        return np.array([known[tuple(c.items())] for c in candidates])

    again = search(STUB, replay, settings)
    assert asked == [] and again.pareto == first.pareto
    pd.testing.assert_frame_equal(again.archive, first.archive)


def test_pareto_set_of_a_hand_made_archive():
    problem = Problem(STUB.factors, (MIN_COST, MAX_SHARE), constraints=(ROBUST,))
    archive = pd.DataFrame(
        {
            MIN_COST.measure.text: [5.0, 3.0, 3.0, 4.0, 1.0, 6.0],
            MAX_SHARE.measure.text: [0.9, 0.8, 0.8, 0.7, 0.5, 0.85],
        }
    )
    rows, feasible = pareto_set(problem, archive)
    assert feasible and rows == [1, 0]  # 2 repeats 1; 3 and 4 fall short of 80 %; 5 is dominated by 0
    rows, feasible = pareto_set(problem, archive.iloc[[3, 4]])
    assert not feasible and rows == [3]  # none meets 80 %: the one falling least short


# ------------------------------------------------------------------ the whole search on a stub model

SPEC = """
name = "stubbed"
base = "plan"
objectives = ["min mean(spending@2022:2025)", "max share(haimen_population@2025 >= 110万)"]
require = "share(haimen_population@2025 >= 110万) >= 80%"
[levers]
rent_subsidy = {}
industrial_jobs_kaifaqu = {}
[uncertainty]
sweep = "headline_plan"
points = 10
recalibrate = false
[run]
scale = 1000
years = "2020:2025"
[search]
population = 16
generations = POPULATION_GENERATIONS
seed = 4
[fine]
scale = 500
seeds = 2
candidates = 4
"""


def stub_model(run_id: str, spec: RunSpec) -> RunResult:
    """A model in closed form: the 2025 population rises with the rent subsidy (which costs 1亿/yr per 1,000
    yuan) and with the zone's jobs (free); income-minded points (beta_income) need more; the seed adds ±1,000."""
    s = spec.settings
    rent, jobs, beta = s["rent_subsidy"] / 3000, s["industrial_jobs_kaifaqu"] / 10000, s["beta_income"]
    noise = 1000 * (-1 if spec.seed % 2 else 1)
    population = 1.0e6 + 1.0e5 * rent + 4.8e4 * jobs - 2.0e4 * (beta - 0.8) + noise
    years = [2022, 2023, 2024, 2025]
    table = pd.DataFrame(
        {
            "year": [2025, *years],
            "outcome": ["haimen_population", *["spending"] * 4],
            "value": [population, *[1e8 * s["rent_subsidy"] / 1000] * 4],
        }
    )
    return RunResult(run_id, "done", {}, table)


def stub_optimum(points: list[dict], seeds: tuple[int, ...]) -> float:
    """The least cost meeting 110万 at 8 of 10 points with all jobs (free): rent at the 8th-easiest point's need."""
    noise = np.mean([1000 * (-1 if s % 2 else 1) for s in seeds])
    needs = []
    for p in points:
        gap = 1.1e6 - (1.0e6 + 4.8e4 - 2.0e4 * (p["beta_income"] - 0.8) + noise)
        needs.append(math.ceil(max(gap / 1.0e5, 0) * 3000))
    rent = sorted(needs)[7]
    return 4 * 1e8 * rent / 1000


def spec_file(tmp_path: Path, generations: int = 12) -> Path:
    path = tmp_path / "stubbed.toml"
    path.write_text(SPEC.replace("POPULATION_GENERATIONS", str(generations)), encoding="utf-8")
    return path


def test_whole_search_on_a_stub_model_reaches_the_known_optimum_and_writes_loadable_scenarios(tmp_path):
    spec = load(spec_file(tmp_path))
    outcome = optimize(spec, tmp_path / "out", SERIAL, progress=False, run=stub_model, say=lambda _: None)
    found = search_report.answer(outcome)
    assert found.reachable and found.fidelity == "fine"
    cost = outcome.fine.loc[found.candidate, MIN_COST.measure.text]
    best = stub_optimum(outcome.points.values, outcome.fine_fidelity.seeds)
    assert best <= cost * (1 + 1e-9) and cost <= best * 1.15  # never below the optimum; within 15 % of it
    assert outcome.result.candidates[found.candidate]["industrial_jobs_kaifaqu"] >= 9000  # the free lever maxed
    search_report.write(outcome, tmp_path / "out")
    files = sorted((tmp_path / "out" / "scenarios").glob("*.toml"))
    assert len(files) == len(outcome.result.pareto) + 1  # every Pareto point and the answer
    for path in files:
        scenario = load_scenario(path)
        assert scenario.settings["talent_purchase_subsidy"] == 50000  # the rest of the plan, from base = "plan"
    answer = load_scenario(tmp_path / "out" / "scenarios" / "stubbed_answer.toml")
    chosen = outcome.result.candidates[found.candidate]
    assert {k: answer.settings.get(k) for k in chosen} == chosen
    text = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "Reachable 可以达到" in text and "× plan" in text and "beyond the plan" in text
    assert (tmp_path / "out" / "pareto.png").is_file() and (tmp_path / "out" / "pareto.csv").is_file()


def test_an_unreachable_target_is_said_plainly_with_the_best_value_reached(tmp_path):
    path = spec_file(tmp_path, generations=4)
    path.write_text(path.read_text().replace("110万", "130万"), encoding="utf-8")
    outcome = optimize(load(path), tmp_path / "out", SERIAL, progress=False, run=stub_model, say=lambda _: None)
    found = search_report.answer(outcome)
    assert not found.reachable
    text = search_report.write(outcome, tmp_path / "out")
    assert "Out of reach 无法达到" in text and "The best reached" in text and "mean(haimen_population@2025)" in text
    closest = outcome.result.archive[MAX_SHARE.measure.text.replace("110万", "130万")]
    assert closest.max() == 0  # nothing reaches 130万 anywhere: the report gives the highest mean population
    means = outcome.result.archive["mean(haimen_population@2025)"]
    assert outcome.result.archive.loc[found.candidate, "mean(haimen_population@2025)"] == means.max()


class Interrupt:
    """The stub model, interrupted (Ctrl-C) after ``after`` runs, as a killed search would be."""

    def __init__(self, after: int) -> None:
        self.after, self.count = after, 0

    def __call__(self, run_id: str, spec: RunSpec) -> RunResult:
        self.count += 1
        if self.count > self.after:
            raise KeyboardInterrupt
        return stub_model(run_id, spec)


def test_an_interrupted_search_resumed_gives_the_same_pareto_set_without_repeating_a_run(tmp_path):
    spec = load(spec_file(tmp_path, generations=6))
    straight = optimize(spec, tmp_path / "straight", SERIAL, progress=False, run=stub_model, say=lambda _: None)
    for after in (37, 250):  # killed twice: in the first generation, and later on
        with pytest.raises(KeyboardInterrupt):
            optimize(spec, tmp_path / "resumed", SERIAL, progress=False, run=Interrupt(after), say=lambda _: None)
    resumed = optimize(spec, tmp_path / "resumed", SERIAL, progress=False, run=stub_model, say=lambda _: None)
    assert resumed.result.pareto == straight.result.pareto
    pd.testing.assert_frame_equal(resumed.result.archive, straight.result.archive)
    pd.testing.assert_frame_equal(resumed.fine, straight.fine)
    assert resumed.runs["coarse read back"] == 37 + 250  # what finished before each interruption was kept
    stored = sweep_store.manifest(tmp_path / "resumed" / "coarse")
    assert len(stored) == len(sweep_store.manifest(tmp_path / "straight" / "coarse"))  # no run done twice
    assert stored.config_hash.is_unique


# ------------------------------------------------------------------ bad search files

BAD = [
    ('colour = 1\nobjectives = ["min mean(spending@2022:2025)"]', "colour", "unknown key"),
    ("objectives = []\n[levers]\nrent_subsidy = {}", "objectives", "at least one"),
    ('objectives = ["cheap"]\n[levers]\nrent_subsidy = {}', "objectives[0]", "min MEASURE or max MEASURE"),
    ('objectives = ["min mean(spendin@2022:2025)"]\n[levers]\nrent_subsidy = {}', "objectives[0]", "did you mean"),
    ('objectives = ["max haimen_population@2031"]\n[levers]\nrent_subsidy = {}', "objectives[0]", "2020 to 2027"),
    (
        'objectives = ["max mean(haimen_population@2025)"]\nrequire = "share(haimen_population@2025 >= 1) >= 2"\n'
        "[levers]\nrent_subsidy = {}",
        "require",
        "from 0 to 1",
    ),
    (
        'objectives = ["max mean(haimen_population@2025)"]\n[levers]\nbeta_income = {}',
        "levers.beta_income",
        "uncertain parameter",
    ),
    (
        'objectives = ["max mean(haimen_population@2025)"]\n[levers]\nrent_subsidie = {}',
        "levers.rent_subsidie",
        "did you mean 'rent_subsidy'",
    ),
    (
        'objectives = ["max mean(haimen_population@2025)"]\n[levers]\nrent_subsidy = { low = 0, high = 9999 }',
        "levers.rent_subsidy.high",
        "out of range",
    ),
    (
        'objectives = ["max mean(haimen_population@2025)"]\n[levers]\nprovident_fund = {}',
        "levers.provident_fund",
        "not modelled",
    ),
    (
        'objectives = ["max mean(haimen_population@2025)"]\n[levers]\nrent_subsidy = {}\n[search]\npopulation = 2',
        "search.population",
        "from 4",
    ),
    (
        'objectives = ["max mean(haimen_population@2025)"]\n[levers]\nrent_subsidy = {}\n[uncertainty]\nsweep = "nope"',
        "uncertainty.sweep",
        "no such sweep",
    ),
    (
        'objectives = ["max mean(haimen_population@2025)"]\n[levers]\nrent_subsidy = {}\n[fine]\nscales = 2',
        "fine.scales",
        "did you mean 'scale'",
    ),
    (
        'objectives = ["max mean(haimen_population@2025)"]\nreport = ["share(added_kaifaq@2025 >= 4万)"]\n'
        "[levers]\nrent_subsidy = {}",
        "report[0]",
        "did you mean 'added_kaifaqu'",
    ),
    ("objectives = [\n", "TOML", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "key", "allowed"), BAD, ids=[b[1] for b in BAD])
def test_each_kind_of_search_file_error_is_refused_in_one_line_before_any_run(tmp_path, capsys, text, key, allowed):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SearchSpecError) as e:
        load(path)
    message = str(e.value)
    assert message.startswith(str(path)) and key in message and allowed in message and "\n" not in message
    out = tmp_path / "out"
    assert main(["optimize", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error:") and len(err.splitlines()) == 1
    assert not out.exists()


def test_example_search_files_load():
    from experiments.search_spec import SEARCH_DIR

    for path in sorted(SEARCH_DIR.glob("*.toml")):
        spec = load(path)
        assert len(spec.factors) == 10 and spec.points in (4, 16), path
        assert parse(spec.raw, "again").factors == spec.factors
    assert load("reach_110wan").require and load("residents_for_budget").constraints
    full, quick = load("reach_110wan"), load("reach_110wan_quick")
    assert (quick.factors, quick.objectives, quick.require) == (full.factors, full.objectives, full.require)


TINY = """
name = "tiny"
objectives = ["min mean(spending@2022)", "max share(haimen_population@2022 >= 100万)"]
require = "share(haimen_population@2022 >= 100万) >= 50%"
[levers]
rent_subsidy = {}
hsr_year = { values = [2027, "never"] }
[uncertainty]
points = 2
recalibrate = false
[run]
scale = 1000
years = "2020:2022"
[search]
population = 4
generations = 2
[fine]
scale = 1000
seeds = 2
"""


def test_optimize_command_on_the_model_resumes_and_writes_its_files(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["optimize", str(path), "--out", str(out), "--no-progress", "--backend", "serial"]) == 0
    assert (out / "report.md").is_file() and list((out / "scenarios").glob("*.toml"))
    first = pd.read_csv(out / "pareto.csv")
    assert main(["optimize", str(path), "--out", str(out), "--no-progress", "--backend", "serial"]) == 0
    pd.testing.assert_frame_equal(pd.read_csv(out / "pareto.csv"), first)
    assert "coarse run 0," in (out / "report.md").read_text(encoding="utf-8")  # the rerun ran nothing
    assert main(["query", str(out / "coarse"), "SELECT count(*) AS n FROM runs"]) == 0
    for path in (out / "scenarios").glob("*.toml"):
        assert load_scenario(path).settings.get("hsr_year", "never") in (2027, None, "never")


@pytest.mark.slow
def test_dask_and_joblib_give_the_serial_pareto_set(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(TINY, encoding="utf-8")
    tables = []
    for backend in ("serial", "joblib", "dask"):
        out = tmp_path / backend
        jobs = "1" if backend == "serial" else "2"
        assert (
            main(["optimize", str(path), "--out", str(out), "--no-progress", "--backend", backend, "--jobs", jobs]) == 0
        )
        tables.append(pd.read_csv(out / "pareto.csv"))
    pd.testing.assert_frame_equal(tables[1], tables[0])
    pd.testing.assert_frame_equal(tables[2], tables[0])
