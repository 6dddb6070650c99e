"""Scenario discovery (``abm discover``) on synthetic sweeps whose true box is known, and the condition grammar."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from environment.settings import InputError
from experiments import sweep_store
from experiments.cli import main
from experiments.criteria import (
    CriterionError,
    parse_condition,
    parse_number,
    parse_objective,
    parse_requirement,
    parse_term,
)
from experiments.discover import discover, load_cases
from experiments.runner import RunResult
from experiments.sweep import parse

FACTORS = {
    "beta_access": {},
    "hsr_year": {"low": 2027, "high": 2032},
    "bus_integration": {},
    "tunnel_year": {"values": [2028, 2031, "never"]},
    "beta_income": {},
    "after_plan": {},  # a choice among names (stop, continue, phase_out): no part of the true box
}


def inside_true_box(values: dict) -> bool:
    """The known box: beta_access above 0.7, buses integrated and the tunnel opening (in any year)."""
    return values["beta_access"] > 0.7 and values["bus_integration"] and values["tunnel_year"] is not None


def fake_sweep(out: Path, base: str = "plan", population=None, samples: int = 300, replicates: int = 2) -> Path:
    """A sweep folder written through the sweep store: each run's 2025 population from ``population(values,
    replicate)`` (default: 115万 inside the true box, 100万 outside), no model run."""
    raw = {
        "name": "fake",
        "base": base,
        "seed": 3,
        "replicates": replicates,
        "run": {"scale": 1000, "years": "2020:2025"},
        "design": {"kind": "lhs", "samples": samples},
        "vary": FACTORS,
    }
    sweep = parse(raw, "fake sweep")
    sweep_store.prepare(out, sweep, "test")
    population = population or (lambda v, rep: 1.15e6 if inside_true_box(v) else 1.0e6)
    done = []
    for run in sweep.runs():
        value = population(run.values, run.replicate)
        table = pd.DataFrame({"year": [2025, 2025], "outcome": ["haimen_population", "net_migration"]})
        done.append((run, RunResult(run.run_id, "done", {}, table.assign(value=[value, 0.0]))))
    sweep_store.write_batch(out, done, base, "test")
    return out


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory) -> Path:
    return fake_sweep(tmp_path_factory.mktemp("discover") / "sweep")


# ------------------------------------------------------------------ the grammar


def test_numbers_as_analysts_write_them():
    assert parse_number("110万", "t", "k") == 1_100_000
    assert parse_number("1,100,000", "t", "k") == 1_100_000
    assert parse_number("30亿", "t", "k") == 3e9
    assert parse_number("80%", "t", "k") == pytest.approx(0.8)
    assert parse_number("3e9", "t", "k") == 3e9
    with pytest.raises(CriterionError, match="a number"):
        parse_number("lots", "t", "k")


def test_terms_conditions_objectives_and_requirements():
    assert parse_term("spending@2022:2025", "t", "k", 2027).text == "spending@2022:2025"
    condition = parse_condition("haimen_population@2025 ≥ 110万", "t", "k")
    assert condition.op == ">=" and condition.threshold == 1_100_000
    assert list(condition.met(np.array([1_099_999, 1_100_000, np.nan]))) == [False, True, False]
    objective = parse_objective("max share(haimen_population@2025 >= 110万)", "t", "k")
    assert objective.sense == "max" and objective.measure.kind == "share"
    assert list(objective.measure.of(np.array([[1.2e6, 1.0e6, 1.1e6, 1.3e6]]))) == [0.75]
    requirement = parse_requirement("share(haimen_population@2025 >= 110万) >= 80%", "t", "k")
    assert requirement.met(np.array([0.8, 0.79])).tolist() == [True, False]
    assert parse_requirement("mean(spending@2022:2025) <= 30亿", "t", "k").violation(np.array([3.1e9]))[0] > 0


BAD_TERMS = [
    ("haimen_populaton@2025", "did you mean 'haimen_population'"),
    ("haimen_population@2022:2025", "a stock"),
    ("haimen_population@2040", "years from 2020 to 2030"),
    ("haimen_population", "KEY@YEAR"),
]


@pytest.mark.parametrize(("text", "allowed"), BAD_TERMS)
def test_bad_terms_say_what_is_allowed(text, allowed):
    with pytest.raises(CriterionError, match=allowed):
        parse_term(text, "--outcome", "outcome", 2030)


# ------------------------------------------------------------------ PRIM and CART find the known box


def test_prim_finds_the_true_box_on_each_kind_of_factor(sweep_folder):
    cases = load_cases(sweep_folder, "haimen_population@2025", ">= 110万")
    assert str(cases.x.bus_integration.dtype) == "category" and str(cases.x.tunnel_year.dtype) == "category"
    assert list(cases.x.after_plan.cat.categories) == ["stop", "continue", "phase_out"]
    found = discover(cases)
    step = found.trajectory.loc[found.chosen]
    assert step.coverage >= 0.95 and step.density >= 0.9
    limits = found.limits.set_index("factor")
    assert set(limits.index[limits.restricted]) == {"beta_access", "bus_integration", "tunnel_year"}
    assert 0.6 <= limits.loc["beta_access", "box_low"] <= 0.71 and limits.loc["beta_access", "box_high"] > 0.99
    assert limits.loc["bus_integration", "box"] == "{true}"
    assert limits.loc["tunnel_year", "box"] == "{2028, 2031}"
    assert (limits.loc[["beta_access", "bus_integration", "tunnel_year"], "qp_low"] < 1e-3).all()
    assert limits.loc["beta_access", "kind"].startswith("uncertainty") and limits.loc["hsr_year", "kind"].startswith(
        "lever"
    )


def test_cart_leaf_of_interest_is_the_true_box(sweep_folder):
    found = discover(load_cases(sweep_folder, "haimen_population@2025", ">= 110万"))
    best = found.leaves.iloc[0]
    assert best.density == 1.0 and best.coverage == 1.0
    assert "beta_access > 0.7" in best.rule or "beta_access > 0.69" in best.rule
    assert "bus_integration = true" in best.rule and "tunnel_year ≠ never" in best.rule
    assert found.leaves.cases.sum() == 300  # the leaves partition the design points


def test_points_average_their_replicates_and_effects_pair_two_sweeps(tmp_path):
    # replicate 0 sees 112万 inside the box, replicate 1 sees 106万: the point's mean 109万 misses 110万
    plan = fake_sweep(
        tmp_path / "plan", population=lambda v, rep: (1.12e6 if rep == 0 else 1.06e6) if inside_true_box(v) else 1e6
    )
    with pytest.raises(InputError, match="no design point meets it"):
        load_cases(plan, "haimen_population@2025", ">= 110万")
    baseline = fake_sweep(tmp_path / "baseline", base="baseline", population=lambda v, rep: 1.0e6)
    cases = load_cases(plan, "haimen_population@2025", "plan effect >= 5万", against=baseline)
    assert cases.target.effect_of == "plan"
    assert cases.met.sum() == sum(inside_true_box(r) for r in _design(plan))
    other = fake_sweep(tmp_path / "other", base="baseline", samples=299)
    with pytest.raises(InputError, match="not paired"):
        load_cases(plan, "haimen_population@2025", "effect >= 5万", against=other)
    with pytest.raises(InputError, match="this sweep's base scenario is 'plan'"):
        load_cases(plan, "haimen_population@2025", "baseline effect >= 5万", against=baseline)


def _design(folder: Path) -> list[dict]:
    design = pd.read_parquet(folder / "design.parquet")
    rows = design.to_dict("records")
    for r in rows:
        r["tunnel_year"] = None if pd.isna(r["tunnel_year"]) else r["tunnel_year"]
    return rows


def test_discover_command_writes_bilingual_report_plots_and_tables(sweep_folder, capsys):
    assert main(["discover", str(sweep_folder), "--outcome", "haimen_population@2025", "--target", ">= 110万"]) == 0
    out = sweep_folder / "discovery" / "haimen_population@2025-ge-1100000"
    for name in ("discovery.md", "tradeoff.png", "box.png", "cart.png", "trajectory.csv", "box_limits.csv"):
        assert (out / name).is_file(), name
    text = (out / "discovery.md").read_text(encoding="utf-8")
    assert "情景发现" in text and "Scenario discovery" in text and "公交一体化" in text and "quasi-p" in text
    printed = capsys.readouterr().out
    assert "coverage" in printed and "覆盖率" in printed


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--target", ">= 200万"], "no design point meets it"),
        (["--target", ">= 0"], "every design point meets it"),
        (["--target", "=> 110万"], "OP NUMBER"),
        (["--target", "effect < 2万"], "needs --against"),
        (["--outcome", "haimen_population@2031"], "years from 2020 to 2025"),
    ],
)
def test_discover_refuses_in_one_line_and_writes_nothing(sweep_folder, tmp_path, capsys, flags, message):
    args = {"--outcome": "haimen_population@2025", "--target": ">= 110万"} | dict(
        zip(flags[::2], flags[1::2], strict=True)
    )
    out = tmp_path / "out"
    argv = ["discover", str(sweep_folder), "--out", str(out)] + [x for kv in args.items() for x in kv]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error:") and message in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_another_sweeps_discovery_is_replaced_only_with_replace(sweep_folder, tmp_path, capsys):
    import shutil

    other = shutil.copytree(sweep_folder, tmp_path / "other", ignore=shutil.ignore_patterns("discovery"))
    out = tmp_path / "out"
    target = ["--outcome", "haimen_population@2025", "--target", ">= 110万", "--out", str(out)]
    assert main(["discover", str(sweep_folder), *target]) == 0
    first = (out / "discovery.md").read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["discover", str(other), *target]) == 2  # another sweep's discovery is in the folder
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error:") and "--replace" in err and len(err.splitlines()) == 1
    assert (out / "discovery.md").read_text(encoding="utf-8") == first
    assert main(["discover", str(other), *target, "--replace"]) == 0
    assert str(other) in (out / "discovery.md").read_text(encoding="utf-8")
