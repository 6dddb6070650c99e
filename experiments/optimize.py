"""``abm optimize``: a robust, multi-fidelity search of lever settings, resumable, on the sweep backends.

1. The uncertainty points: ``points`` Latin-hypercube points over the factors of a sweep file (the
   headline's uncertainties, ``experiments.uncertainty``), each point's free constants refitted to the
   2010–2020 history (``fitted_constants``, cached on disk).
2. The coarse search: NSGA-II (``experiments.search``) over the levers, every candidate run at every point
   with the same paired seeds (``experiments.search_runs``; each run stored as it finishes, so a rerun
   replays the search from the stored runs and goes on where it stopped).
3. The fine re-evaluation: the Pareto set run again at the fine scale with more seeds.
4. The report (``experiments.search_report``): the answer, the Pareto table at both fidelities, a scenario
   file for every Pareto point.

Layout of ``OUT`` (default ``results/searches/NAME``): ``coarse/`` and ``fine-scaleK-seedsS/`` (stores of
runs; ``abm query`` opens them), ``report.md``, ``pareto.csv``, ``candidates.csv``, ``points.csv``,
``pareto.png``, ``scenarios/*.toml``.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import backends
from experiments.backends import Backend
from experiments.criteria import Measure
from experiments.search import GeneticSettings, Problem, SearchResult, search
from experiments.search_runs import SERIAL, Evaluator, Fidelity, Points, Run, evaluate_run, fit_points
from experiments.search_spec import SearchSpec


@dataclass
class SearchOutcome:
    """What a search found and what it took."""

    spec: SearchSpec
    problem: Problem
    points: Points
    refit: tuple[int, tuple[int, ...]] | None
    result: SearchResult
    fine: pd.DataFrame | None  # the re-evaluated candidates' measures at the fine fidelity (index: candidate)
    coarse_fidelity: Fidelity
    fine_fidelity: Fidelity | None
    seconds: dict[str, float] = field(default_factory=dict)  # calibration, search, fine, total
    runs: dict[str, int] = field(default_factory=dict)  # run now and read back, per stage
    backend: Backend = SERIAL


def problem_of(spec: SearchSpec) -> Problem:
    """The search problem of a search file: its levers, objectives, constraints and requirements; kept for the
    report, its ``report`` measures and the mean of every term a share is read from (the best value reached)."""
    problem = Problem(spec.factors, spec.objectives, spec.constraints, spec.require)
    means = [Measure("mean", m.term) for m in problem.measures if m.kind == "share"]
    info = tuple(dict.fromkeys([*spec.report, *means]))
    return Problem(spec.factors, spec.objectives, spec.constraints, spec.require, info)


def measures_of(measures: list[Measure], per_term: dict) -> np.ndarray:
    """Each candidate's measures (columns in the order of ``measures``) from its terms' values at each point."""
    return np.column_stack([m.of(per_term[m.term]) for m in measures])


def uncertainty_points(spec: SearchSpec) -> tuple[list[dict[str, Any]], tuple[int, tuple[int, ...]] | None]:
    """The ``points`` Latin-hypercube points over the uncertainty sweep's factors, and how each is refitted."""
    from experiments.uncertainty import members

    chosen = members(spec.points, spec.uncertainty_sweep)
    return chosen.settings()[1:], (chosen.refit if spec.recalibrate else None)


def optimize(
    spec: SearchSpec,
    out: Path,
    backend: Backend = SERIAL,
    progress: bool = True,
    run: Run = evaluate_run,
    say=lambda line: print(line, file=sys.stderr),
) -> SearchOutcome:
    """Run (or resume) the search of ``spec`` into the folder ``out``; see the module's docstring."""
    started = time.perf_counter()
    problem = problem_of(spec)
    terms = list(dict.fromkeys(m.term for m in problem.measures))
    values, refit = uncertainty_points(spec)
    coarse = Fidelity.of(spec.scale, spec.end, spec.seeds, spec.seed)
    fine = Fidelity.of(spec.fine_scale, spec.end, spec.fine_seeds, spec.seed) if spec.fine_seeds else None
    seconds: dict[str, float] = {}
    with backends.using(backend) as where:  # a Dask LocalCluster, if asked for, started once for the search
        say(f"{spec.name}: refitting the free constants at {len(values)} uncertainty points (cached after the first)")
        t = time.perf_counter()
        points = fit_points(values, refit, where)
        seconds["calibration"] = time.perf_counter() - t

        def evaluator(folder: Path, fidelity: Fidelity, bar) -> Evaluator:
            base = spec.base.settings, spec.base.name
            return Evaluator(folder, *base, points, fidelity, terms, where, run, bar)

        t = time.perf_counter()
        with _bar(progress, "search") as bar:
            stage = evaluator(out / "coarse", coarse, bar)
            result = _search(spec, problem, stage, bar)
        seconds["search"] = time.perf_counter() - t
        runs = {"coarse run": stage.ran, "coarse read back": stage.reused}
        fine_measures = None
        if fine is not None:
            t = time.perf_counter()
            chosen = fine_candidates(problem, result, spec.fine_candidates)
            with _bar(progress, "fine", len(chosen) * len(points.settings) * len(fine.seeds)) as bar:
                stage = evaluator(out / f"fine-scale{fine.scale}-seeds{len(fine.seeds)}", fine, bar)
                found = measures_of(problem.measures, stage([result.candidates[i] for i in chosen]))
            names = [m.text for m in problem.measures]
            fine_measures = pd.DataFrame(found, columns=names, index=pd.Index(chosen, name="candidate"))
            seconds["fine"] = time.perf_counter() - t
            runs |= {"fine run": stage.ran, "fine read back": stage.reused}
    seconds["total"] = time.perf_counter() - started
    return SearchOutcome(spec, problem, points, refit, result, fine_measures, coarse, fine, seconds, runs, backend)


def _search(spec: SearchSpec, problem: Problem, evaluator: Evaluator, bar) -> SearchResult:
    """NSGA-II over the levers, every candidate evaluated by ``evaluator``; the plan's mix in the first generation."""
    per_candidate = len(evaluator.points.settings) * len(evaluator.fidelity.seeds)

    def on_generation(generation: int, new: int) -> None:
        if bar is not None:
            bar.total = (bar.total or 0) + new * per_candidate
            bar.set_postfix(generation=f"{generation + 1}/{spec.generations}", refresh=False)

    return search(
        problem,
        lambda candidates: measures_of(problem.measures, evaluator(candidates)),
        GeneticSettings(spec.population, spec.generations, spec.search_seed),
        start=[_start(spec)],
        on_generation=on_generation,
    )


def _start(spec: SearchSpec) -> dict[str, Any]:
    """The base scenario's values of the searched levers (the plan, usually): a candidate of the first generation."""
    from environment.settings import default_value

    return {f.key: spec.base.settings.get(f.key, default_value(f.key)) for f in spec.factors}


def meets(problem: Problem, table: pd.DataFrame) -> np.ndarray:
    """Whether each row of a table of measures meets every requirement (``require``) of the problem."""
    met = np.ones(len(table), dtype=bool)
    for r in problem.require:
        met &= r.met(table[r.measure.text].to_numpy(float))
    return met


def cheapest(problem: Problem, table: pd.DataFrame) -> int | None:
    """The row meeting every requirement that is best in the first objective (None: no row meets them)."""
    met = meets(problem, table)
    if not problem.require or not met.any():
        return None
    first = problem.objectives[0]
    cost = first.minimised(table[first.measure.text].to_numpy(float))
    return int(table.index[met][np.argmin(cost[met])])


def closest(problem: Problem, table: pd.DataFrame) -> int | None:
    """The row falling least short of the first requirement; among equals (a share of 0 %, say) the one whose
    outcome comes nearest its threshold, then the best in the first objective (None: no requirement)."""
    if not problem.require or table.empty:
        return None
    r, first = problem.require[0], problem.objectives[0]
    shortfall = r.violation(table[r.measure.text].to_numpy(float))
    nearness = np.zeros(len(table))
    if r.measure.kind == "share":
        nearness = -r.measure.condition.margin(table[Measure("mean", r.measure.term).text].to_numpy(float))
    cost = first.minimised(table[first.measure.text].to_numpy(float))
    return int(table.index[np.lexsort((cost, nearness, shortfall))[0]])


def fine_candidates(problem: Problem, result: SearchResult, most: int) -> list[int]:
    """What the fine stage re-evaluates: the Pareto set (or ``most`` of its points spread along it by the first
    objective, its ends included), the cheapest mix meeting the requirements and the one coming closest."""
    front = list(result.pareto)
    if len(front) > most:
        picks = np.unique(np.linspace(0, len(front) - 1, most).round().astype(int))
        front = [front[i] for i in picks]
    extra = [cheapest(problem, result.archive), closest(problem, result.archive)]
    return list(dict.fromkeys([*front, *[i for i in extra if i is not None]]))


@contextmanager
def _bar(progress: bool, what: str, total: int = 0):
    """A progress bar of runs on stderr (None without ``progress``), closed on the way out."""
    if not progress:
        yield None
        return
    from tqdm import tqdm

    bar = tqdm(total=total, unit="run", desc=what, file=sys.stderr, dynamic_ncols=True)
    try:
        yield bar
    finally:
        bar.close()
