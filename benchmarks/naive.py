"""The yearly residence choice two ways, on a real model state: the naive Mesa formulation and the project's ``choose``.

The naive reference is written the way Mesa's examples write models: one
``mesa.Agent`` per household holding its own row of systematic utilities, and a
per-agent ``step()`` that computes the nests' inclusive values, draws a nest and
then an alternative (Gumbel errors from Mesa's ``random``), and checks capacity.
The model activates its agents in random order (``shuffle_do``).

Capacity rule of the reference (simple first come, first served): a mover takes
the room it needs at its chosen alternative if every resource it draws on there
still has that room, and frees its units at the alternative it leaves; otherwise
it stays where it is. (The project's ``choose`` uses shadow prices and then a
keyed lottery, so shares agree only where capacities do not bind: the χ² test is
on the unconstrained case.)

The utilities ``V`` (per kind of decider), kinds, current alternatives,
capacities and nests come from a real model year (``capture``), and are
resampled to the wanted number of households (``resample``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import mesa
import numpy as np
from scipy import stats

import abm.model as model_module
from abm import MigrationModel
from agents.choice import Capacity, Nests, choose
from agents.residence import residence_draw, residence_nests
from agents.streams import Channel, derive_keys, uniform

_TINY = 1e-300  # stands in for a uniform draw of exactly 0


@dataclass
class ChoiceProblem:
    """One year's residence choice: everything ``choose`` is given, plus the deciders' keys."""

    V: np.ndarray  # float32[kind, alt]
    kind: np.ndarray  # int[decider]
    current: np.ndarray  # int[decider]
    key: np.ndarray  # uint64[decider]
    capacities: list[Capacity]
    nests: Nests
    seed: int
    year: int

    def __len__(self) -> int:
        return len(self.kind)


def capture(scale: int, year: int = 2021, seed: int = 1) -> ChoiceProblem:
    """The residence choice of ``year`` in a baseline run at 1:``scale`` (the model is run through that year)."""
    model = MigrationModel(scale=scale, end=year, rng=seed)
    seen: dict = {}
    real_choose, real_stage = model_module.choose, model.choose_residences

    def spy(V, kind, current, capacities, priority, draw):
        seen.update(V=V, kind=kind, current=current, capacities=capacities)
        return real_choose(V, kind, current, capacities, priority, draw)

    def stage(*args):
        choices = real_stage(*args)
        seen["key"] = choices.deciders.key
        return choices

    model_module.choose, model.choose_residences = spy, stage
    try:
        while model.year < year:
            model.step()
    finally:
        model_module.choose = real_choose
        del model.choose_residences
    return ChoiceProblem(
        V=seen["V"],
        kind=seen["kind"],
        current=seen["current"],
        key=seen["key"],
        capacities=seen["capacities"],
        nests=residence_nests(model.world),
        seed=seed,
        year=year,
    )


def resample(problem: ChoiceProblem, n: int, seed: int = 0) -> ChoiceProblem:
    """``n`` deciders drawn with replacement from ``problem``'s, with fresh keys; room scaled to keep the tightness."""
    index = np.random.default_rng(seed).integers(len(problem), size=n)
    factor = n / len(problem)
    return ChoiceProblem(
        V=problem.V,
        kind=problem.kind[index],
        current=problem.current[index],
        key=derive_keys(np.arange(n, dtype=np.uint64), tag=1011, year=seed),
        capacities=[Capacity(of_alt=c.of_alt, use=c.use[index], room=c.room * factor) for c in problem.capacities],
        nests=problem.nests,
        seed=problem.seed,
        year=problem.year,
    )


def vectorized(problem: ChoiceProblem, capacities: bool = True) -> np.ndarray:
    """The project's choice, exactly as ``MigrationModel.choose_residences`` calls it (keyed draws included)."""
    p = problem
    priority = uniform(p.seed, Channel.LOTTERY, p.year, p.key)
    limits = p.capacities if capacities else []
    return choose(p.V, p.kind, p.current, limits, priority, draw=residence_draw(p.nests, p.seed, p.year, p.key))


class NaiveHousehold(mesa.Agent):
    """A household that evaluates its nested-logit residence choice on its own."""

    def __init__(self, model: NaiveResidenceModel, utility: list[float], current: int, uses: list[float]) -> None:
        super().__init__(model)
        self.utility = utility  # systematic utility of each alternative
        self.current = current
        self.uses = uses  # units of each capacity it needs where it moves
        self.choice = current

    def step(self) -> None:
        """Inclusive values, a nest, an alternative in it, then the capacity check."""
        m, v, rnd = self.model, self.utility, self.random.random
        best, nest = -math.inf, -1
        for k, members in enumerate(m.nest_members):
            scale = m.nest_scale[k]
            if len(members) == 1:
                value = v[members[0]]
            else:
                top = max(v[j] for j in members) / scale
                value = scale * (top + math.log(sum(math.exp(v[j] / scale - top) for j in members)))
            value -= math.log(-math.log(rnd() or _TINY))
            if value > best:
                best, nest = value, k
        members, scale = m.nest_members[nest], m.nest_scale[nest]
        choice, best = members[0], -math.inf
        if len(members) > 1:
            for j in members:
                value = v[j] / scale - math.log(-math.log(rnd() or _TINY))
                if value > best:
                    best, choice = value, j
        if choice != self.current and m.fits(choice, self.current, self.uses):
            self.choice = choice
        else:
            self.choice = self.current


class NaiveResidenceModel(mesa.Model):
    """Households as Mesa agents, activated in random order once a year."""

    def __init__(self, problem: ChoiceProblem, capacities: bool = True, seed: int = 1) -> None:
        super().__init__(rng=seed)
        limits = problem.capacities if capacities else []
        self.nest_members = [m.tolist() for m in problem.nests.members]
        self.nest_scale = problem.nests.scale.astype(float).tolist()
        self.resource_of_alt = [c.of_alt.tolist() for c in limits]
        self.initial_room = [np.maximum(c.room, 0.0).astype(float).tolist() for c in limits]
        self.room: list[list[float]] = []
        rows = problem.V.astype(float).tolist()
        uses = np.column_stack([c.use for c in limits]).tolist() if limits else [[] for _ in range(len(problem))]
        self.households = [
            NaiveHousehold(self, list(rows[k]), c, u)
            for k, c, u in zip(problem.kind.tolist(), problem.current.tolist(), uses, strict=True)
        ]

    def fits(self, choice: int, current: int, uses: list[float]) -> bool:
        """First come, first served: take the room at ``choice`` if all of it is there, freeing it at ``current``."""
        for of_alt, room, use in zip(self.resource_of_alt, self.room, uses, strict=True):
            r = of_alt[choice]
            if use > 0 and r >= 0 and room[r] < use - 1e-9:
                return False
        for of_alt, room, use in zip(self.resource_of_alt, self.room, uses, strict=True):
            if use > 0:
                if of_alt[choice] >= 0:
                    room[of_alt[choice]] -= use
                if of_alt[current] >= 0:
                    room[of_alt[current]] += use
        return True

    def step(self) -> None:
        """One year's choice: the room is reset, then every household steps, in random order."""
        self.room = [list(r) for r in self.initial_room]
        self.agents.shuffle_do("step")

    def choices(self) -> np.ndarray:
        """Each household's alternative after the step, in the problem's decider order."""
        return np.array([h.choice for h in self.households])


@dataclass
class ShareTest:
    """χ² tests of the choice shares: naive against vectorized (homogeneity), and each against the closed form."""

    households: int
    chi2: float
    dof: int
    p_value: float
    p_naive_vs_formula: float
    p_vectorized_vs_formula: float
    max_share_gap: float  # largest absolute difference in an alternative's share (percentage points)

    @property
    def passed(self) -> bool:
        """Same shares at the 0.1 % level (deterministic: fixed seeds)."""
        return self.p_value > 1e-3


def _pooled(counts: np.ndarray, expected: np.ndarray, minimum: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """Columns whose expected count is below ``minimum`` merged into one (so the χ² approximation holds)."""
    small = expected < minimum
    if not small.any():
        return counts, expected
    merged = counts[..., small].sum(axis=-1, keepdims=True)
    return np.concatenate([counts[..., ~small], merged], axis=-1), np.r_[expected[~small], expected[small].sum()]


def share_test(problem: ChoiceProblem, naive: np.ndarray, vector: np.ndarray) -> ShareTest:
    """Compare two samples of choices (one per decider) of the same unconstrained problem."""
    n_alt = problem.V.shape[1]
    table = np.vstack([np.bincount(naive, minlength=n_alt), np.bincount(vector, minlength=n_alt)]).astype(float)
    probabilities = problem.nests.probabilities(problem.V)[problem.kind].sum(axis=0)
    pooled, _ = _pooled(table, probabilities)
    result = stats.chi2_contingency(pooled[:, pooled.sum(axis=0) > 0], correction=False)

    def goodness(counts: np.ndarray) -> float:
        observed, exp = _pooled(counts, probabilities)
        return float(stats.chisquare(observed, exp * observed.sum() / exp.sum()).pvalue)

    shares = table / table.sum(axis=1, keepdims=True)
    return ShareTest(
        households=len(problem),
        chi2=float(result.statistic),
        dof=int(result.dof),
        p_value=float(result.pvalue),
        p_naive_vs_formula=goodness(table[0]),
        p_vectorized_vs_formula=goodness(table[1]),
        max_share_gap=float(100 * np.abs(shares[0] - shares[1]).max()),
    )


@dataclass
class SpeedRow:
    """Seconds for one year's choice of ``households`` deciders, naive and vectorized (best of the repeats)."""

    households: int
    capacities: bool
    naive_setup: float  # creating the Mesa agents (once per run, not per year)
    naive_step: float
    vectorized: float
    moved_naive: float  # share of deciders who moved
    moved_vectorized: float

    @property
    def speedup(self) -> float:
        return self.naive_step / self.vectorized


def best_time(fn, repeats: int) -> tuple[float, object]:
    """The shortest wall time of ``repeats`` calls of ``fn``, and its last result."""
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return min(times), result


def compare(problem: ChoiceProblem, capacities: bool, repeats: int) -> tuple[SpeedRow, np.ndarray, np.ndarray]:
    """Time both formulations on ``problem``; also return their choices."""
    started = time.perf_counter()
    naive_model = NaiveResidenceModel(problem, capacities=capacities)
    setup = time.perf_counter() - started

    naive_step, _ = best_time(naive_model.step, repeats)
    naive = naive_model.choices()
    vector_time, vector = best_time(lambda: vectorized(problem, capacities), repeats)
    assert isinstance(vector, np.ndarray)
    row = SpeedRow(
        households=len(problem),
        capacities=capacities,
        naive_setup=setup,
        naive_step=naive_step,
        vectorized=vector_time,
        moved_naive=float(np.mean(naive != problem.current)),
        moved_vectorized=float(np.mean(vector != problem.current)),
    )
    return row, naive, vector
