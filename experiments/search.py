"""The search core: a multi-objective genetic search (pymoo's NSGA-II) over lever settings.

The core knows nothing of the model: it is given the levers (as sweep factors: ranges, whole
numbers, choices), the objectives and constraints, and an ``evaluate`` function that takes a list
of candidate settings and returns each one's measures (one row per candidate, one column per measure
of :attr:`Problem.measures`). It asks pymoo for a generation, evaluates the candidates not seen
before, tells pymoo the results, and keeps every candidate evaluated (the archive). The Pareto set is
taken from the whole archive: the non-dominated candidates among those meeting every constraint, or,
when none does, those that fall least short.

With the same seed and the same measures the search takes the same path, so a search replayed
against stored evaluations (``experiments.search_runs``) continues exactly where it stopped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from experiments.criteria import Measure, Objective, Requirement
from experiments.sweep import Factor

Candidate = dict[str, Any]
Evaluate = Callable[[list[Candidate]], np.ndarray]  # candidates → measures (rows: candidates)


@dataclass(frozen=True)
class Problem:
    """What is searched: the levers, the objectives and the hard constraints; what the answer requires and other
    measures kept for the report (``info``)."""

    factors: tuple[Factor, ...]
    objectives: tuple[Objective, ...]
    constraints: tuple[Requirement, ...] = ()
    require: tuple[Requirement, ...] = ()
    info: tuple[Measure, ...] = ()

    @property
    def measures(self) -> list[Measure]:
        """The measures ``evaluate`` returns, in this order (each once)."""
        found = [o.measure for o in self.objectives] + [r.measure for r in (*self.constraints, *self.require)]
        return list(dict.fromkeys([*found, *self.info]))

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds of the search space (each factor's sampling bounds)."""
        b = np.array([f.bounds() for f in self.factors], dtype=float)
        return b[:, 0], b[:, 1]

    def decode(self, x: np.ndarray) -> Candidate:
        """A point of the search space as lever settings."""
        return {f.key: f.value(v) for f, v in zip(self.factors, x, strict=True)}

    def encode(self, candidate: Candidate) -> np.ndarray:
        """Settings as a point of the search space (whole numbers and choices at the middle of their cell)."""
        out = []
        for f in self.factors:
            value = candidate[f.key]
            if f.kind == "float":
                out.append(float(value))
            elif f.kind == "int":
                out.append(min(max(float(value), f.low), f.high) + 0.5)
            else:
                out.append(f.values.index(value) + 0.5 if value in f.values else 0.5)
        return np.array(out)

    def scores(self, measures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Objectives to minimise (F) and constraint violations (G ≤ 0: met) from the measures."""
        index = {m: i for i, m in enumerate(self.measures)}
        measures = np.atleast_2d(measures)
        f = np.column_stack([o.minimised(measures[:, index[o.measure]]) for o in self.objectives])
        g = np.column_stack(
            [r.violation(measures[:, index[r.measure]]) for r in self.constraints] or [np.zeros(len(measures))]
        )
        return f, g


@dataclass(frozen=True)
class GeneticSettings:
    """The genetic search's settings: candidates per generation, generations and the seed."""

    population: int = 32
    generations: int = 20
    seed: int = 1


@dataclass
class SearchResult:
    """Every candidate evaluated (``archive``: one row per candidate, its levers and measures, the generation
    it first appeared in; ``candidates``: the same candidates' settings as given to ``evaluate``) and the
    Pareto set's rows in it."""

    archive: pd.DataFrame
    candidates: list[Candidate]
    pareto: list[int]
    feasible: bool  # whether any candidate met every constraint


def search(
    problem: Problem,
    evaluate: Evaluate,
    settings: GeneticSettings = GeneticSettings(),
    start: Sequence[Candidate] = (),
    on_generation: Callable[[int, int], None] | None = None,
) -> SearchResult:
    """Run NSGA-II for ``settings.generations`` generations; ``start``: candidates placed in the first one
    (e.g. the plan's settings), the rest drawn by a Latin hypercube.

    ``on_generation(generation, new_candidates)`` is called before each generation is evaluated.
    """
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.evaluator import Evaluator
    from pymoo.core.problem import Problem as PymooProblem
    from pymoo.problems.static import StaticProblem
    from scipy.stats import qmc

    low, high = problem.bounds()
    n_constraints = len(problem.constraints)
    space = PymooProblem(n_var=len(low), n_obj=len(problem.objectives), n_ieq_constr=n_constraints, xl=low, xu=high)
    first = [problem.encode(c) for c in start][: settings.population]
    drawn = qmc.LatinHypercube(d=len(low), rng=settings.seed).random(settings.population - len(first))
    initial = np.vstack([*first, qmc.scale(drawn, low, np.nextafter(high, low))])
    algorithm = NSGA2(pop_size=settings.population, sampling=initial, eliminate_duplicates=True)
    algorithm.setup(space, termination=("n_gen", settings.generations), seed=settings.seed, verbose=False)
    seen: dict[tuple, np.ndarray] = {}
    rows: list[dict[str, Any]] = []
    evaluated: list[Candidate] = []
    generation = 0
    while algorithm.has_next():
        population = algorithm.ask()
        candidates = [problem.decode(x) for x in population.get("X")]
        keys = [_key(c) for c in candidates]
        new = list(dict.fromkeys(k for k in keys if k not in seen))
        if on_generation is not None:
            on_generation(generation, len(new))
        if new:
            by_key = {_key(c): c for c in candidates}
            measured = np.atleast_2d(np.asarray(evaluate([by_key[k] for k in new]), dtype=float))
            for k, m in zip(new, measured, strict=True):
                seen[k] = m
                evaluated.append(by_key[k])
                rows.append({"candidate": len(rows), "generation": generation, **by_key[k]} | _named(problem, m))
        f, g = problem.scores(np.array([seen[k] for k in keys]))
        out = {"F": f} | ({"G": g} if n_constraints else {})
        Evaluator().eval(StaticProblem(space, **out), population)
        algorithm.tell(infills=population)
        generation += 1
    archive = pd.DataFrame(rows)
    pareto, feasible = pareto_set(problem, archive)
    return SearchResult(archive, evaluated, pareto, feasible)


def _key(candidate: Candidate) -> tuple:
    return tuple(candidate.items())


def _named(problem: Problem, measures: np.ndarray) -> dict[str, float]:
    return {m.text: float(v) for m, v in zip(problem.measures, measures, strict=True)}


def pareto_set(problem: Problem, archive: pd.DataFrame) -> tuple[list[int], bool]:
    """Rows of the archive on the Pareto front among candidates meeting every constraint (or, if none does,
    those with the least total shortfall); duplicates of the same scores kept once (the earliest)."""
    from pymoo.util.nds.non_dominated_sorting import NonDominatedSorting

    if archive.empty:
        return [], False
    measures = archive[[m.text for m in problem.measures]].to_numpy(float)
    f, g = problem.scores(measures)
    shortfall = np.clip(g, 0, None).sum(axis=1)
    feasible = shortfall <= 0
    pool = np.flatnonzero(feasible) if feasible.any() else np.flatnonzero(shortfall == shortfall.min())
    front = pool[NonDominatedSorting().do(f[pool], only_non_dominated_front=True)]
    _, first = np.unique(f[front], axis=0, return_index=True)
    chosen = sorted(front[first].tolist(), key=lambda i: tuple(f[i]))
    return [int(archive.index[i]) for i in chosen], bool(feasible.any())
