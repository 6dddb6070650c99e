"""The benchmark script runs (quick mode, smallest configuration), and its naive Mesa reference agrees with ``choose``.

Keeps ``benchmarks/run.py`` from rotting as the model changes: a few seconds.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks import run  # noqa: E402


def test_quick_benchmark_runs_and_shares_agree(tmp_path):
    out = tmp_path / "RESULTS.md"
    results = run.main(["--quick", "--scales", "1000", "--end", "2022", "--out", str(out)])
    text = out.read_text(encoding="utf-8")
    for heading in (
        "## Goals (issue 24)",
        "## 1. Against the naive Mesa",
        "## 2. Scale",
        "## 3. Against the hardware",
        "## 4. Where the time",
        "## 5. The shadow-price rounds",
        "## 6. The lever search's throughput",
    ):
        assert heading in text
    (scale,) = results["scales"]  # the whole process outlasts the run inside it
    assert all(r["process"] > r["total"] > r["setup"] > 0 for r in scale.runs)
    (today,) = results["throughput"]  # warm runs serial and on 2 workers, with what a fresh worker pays first
    (round_,) = today.rounds
    assert today.commit == "today" and len(round_["run_cpu"]) == round_["runs"] == 4 and min(round_["run_cpu"]) > 0
    assert round_["import"] > 0 and round_["setup_first"] > 0 and round_["unpinned"] == []
    assert today.per_minute("serial") > 0 and today.per_minute("workers") > 0
    assert "`choose_residences`" in text
    (rounds,) = results["rounds"]  # the rounds were counted, and the what-if ran none
    counted = [r[2] for r in rounds.counted[0]["rounds"]]
    assert {r[1] for r in rounds.counted[0]["rounds"]} == {"residence", "jobs"} and max(counted) > 0
    assert [r[2] for r in rounds.without[0]["rounds"]] == [0] * len(counted)
    (test,) = results["share_tests"]
    assert test.households == 10_000
    assert test.passed, f"naive and vectorized shares differ: χ² {test.chi2:.1f} on {test.dof} dof, p {test.p_value}"
    assert test.p_naive_vs_formula > 1e-3 and test.p_vectorized_vs_formula > 1e-3
    assert all(row.speedup > 1 for row in results["speed"])


def test_pool_kinds_what_if_counts_and_times_both_ways():
    """``benchmarks/pool_kinds.py``: the pools' kinds are at most their deciders, both cases are timed, and the
    model's own step is left as it was."""
    import abm.model
    from benchmarks import pool_kinds

    described = abm.model.describe_all
    model, per_kind = (pool_kinds.measure(1000, per_kind=case) for case in (False, True))
    assert abm.model.describe_all is described
    assert 0 < model["pool_kinds"] <= model["pool"] < model["deciders"]
    assert model["ms"] > 0 and per_kind["ms"] > 0


def test_pool_coupling_what_if_unshares_only_the_pools_dice():
    """``benchmarks/pool_coupling.py``: only the pools' and returners' keys are salted; its ``model`` run gives the
    model's own outcomes, the two what-ifs other outcomes; the model's functions are restored after each."""
    import numpy as np

    import abm.model
    from abm.model import MigrationModel
    from agents.keys import INITIAL_HOUSEHOLD, KIND_SHIFT, POOL_HOUSEHOLD, RECRUIT_HOUSEHOLD, RETURN_HOUSEHOLD
    from benchmarks import pool_coupling

    drawn_as = (INITIAL_HOUSEHOLD, RECRUIT_HOUSEHOLD, POOL_HOUSEHOLD, RETURN_HOUSEHOLD)
    keys = np.array([(kind << KIND_SHIFT) | 7 for kind in drawn_as], dtype=np.uint64)
    salted = pool_coupling._salted(keys, np.uint64(1 << 20 | 1))
    assert (salted[:2] == keys[:2]).all() and (salted[2:] != keys[2:]).all()
    functions = abm.model.residence_draw, abm.model.uniform
    runs = {mode: pool_coupling.run("plan", 1, 100, 2025, mode) for mode in pool_coupling.MODES}
    assert (abm.model.residence_draw, abm.model.uniform) == functions
    model = MigrationModel(scale=100, end=2025, rng=1, scenario="plan")
    while model.running:
        model.step()
    log = model.outcomes().set_index(["year", "outcome"])["value"]
    assert runs["model"] == {key: float(log[key]) for key in runs["model"]}
    for mode in ("inverse_cdf", "unshared"):
        assert runs[mode].keys() == runs["model"].keys() and runs[mode] != runs["model"]


def test_compiled_draws_what_if_says_when_numba_is_missing():
    """``benchmarks/compiled_draws.py`` needs numba, not a dependency: without it, it says so and exits 2."""
    import importlib.util
    import subprocess

    if importlib.util.find_spec("numba") is not None:
        pytest.skip("numba is installed here: the what-if runs instead")
    result = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "compiled_draws.py")], capture_output=True, text=True
    )
    assert result.returncode == 2 and "numba is not installed" in result.stderr


@pytest.mark.slow
def test_sweep_benchmark_runs_and_reports_medians_load_and_identical_results(tmp_path):
    from benchmarks import sweeps

    out = tmp_path / "SWEEPS.md"
    args = ["--runs", "2", "--scale", "1000", "--end", "2021", "--lhs-runs", "2", "--repeats", "2", "--out", str(out)]
    assert sweeps.main(args) == 0
    text = out.read_text(encoding="utf-8")
    for line in ("serial (sweep runner", "warm workers", "cold: the process's first", "mesa.batch_run", "load average"):
        assert line in text
    assert "results identical (every round): yes" in text and "median of the rounds' ratios" in text


def test_child_times_every_declared_stage_and_step_runs_them_in_order():
    """The stage profile times each stage ``MigrationModel.STAGES`` declares, once a year, through the instance's
    methods (so ``step`` calls them by name, in order), and tags each choice's rounds with the year and choice."""
    from abm.model import MigrationModel
    from benchmarks import child

    stages = [s.method for s in MigrationModel.STAGES]
    model = MigrationModel(scale=1000, end=2021, rng=1)
    called = []
    for name in stages:
        method = getattr(model, name)
        setattr(model, name, lambda *args, _name=name, _method=method: called.append(_name) or _method(*args))
    model.step()
    assert called == stages

    run = child.measure(1000, 2022, count_rounds=True)
    assert list(run["stages"]) == stages and all(len(t) == 2 for t in run["stages"].values())
    assert {(year, which) for year, which, _, _ in run["rounds"]} == {
        (y, w) for y in (2021, 2022) for w in ("residence", "jobs")
    }


def test_same_results_tells_rounding_from_a_changed_draw():
    """``benchmarks/same_results.py``: equal tables compare equal, a float moved at rounding level counts only as
    a difference, and a changed count or row counts as a changed result."""
    from benchmarks.same_results import compare

    frame = pd.DataFrame({"year": [2021, 2022], "people": [1.0e6, 1.1e6]})
    run = {("baseline", 1): {"yearly": frame}}
    assert compare(run, run) == (0.0, [])
    rounded = frame.assign(people=frame.people * (1 + 1e-12))
    worst, differ = compare(run, {("baseline", 1): {"yearly": rounded}})
    assert 0 < worst < 1e-11 and differ == []
    _, differ = compare(run, {("baseline", 1): {"yearly": frame.assign(year=[2021, 2023])}})
    assert differ == ["('baseline', 1) yearly.year: values"]
    _, differ = compare(run, {("baseline", 1): {"yearly": frame.head(1)}})
    assert differ == ["('baseline', 1) yearly: rows or columns"]
