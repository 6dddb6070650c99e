"""What sharing the pools' dice between scenarios is worth: a what-if, not the model.

    .venv/bin/python benchmarks/pool_coupling.py                    # 1:10, seeds 1-20, to 2035, 2 workers
    .venv/bin/python benchmarks/pool_coupling.py --scale 100 --seeds 40

Choosing once per kind of pool household (issue 24's first item) would no longer draw each pool household's
own Gumbel errors. This runs the baseline and the plan for each seed three ways, and reports the plan's
effect on each outcome (plan - baseline: mean over seeds, and the standard deviation of the paired
differences) and how many times the model's seeds each other way needs for the same standard error:

- ``model``: as the model runs (each household's own keyed errors, the same in both scenarios);
- ``inverse_cdf``: the outside pools and returners choose by inverse CDF, one keyed uniform per household
  (the same in both scenarios) against its kind's closed-form nested-logit probabilities, alternatives in
  their fixed order: what a choice per kind keeps at best, each household still holding its own dice;
- ``unshared``: their Gumbel errors and lottery places drawn afresh in each scenario (keys salted with the
  scenario's name in those two draws only): what a count drawn per kind keeps at worst (the kinds differ
  between scenarios: the levers' eligibility flags are features).

Every other draw, the pools themselves included, is shared in all three.
"""

from __future__ import annotations

import argparse
import sys
import zlib
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from unittest import mock

import numpy as np
from joblib import Parallel, delayed

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import abm.model
from abm.model import MigrationModel
from agents.choice import NestedDraw, Nests
from agents.keys import KIND_SHIFT, POOL_HOUSEHOLD, RETURN_HOUSEHOLD
from agents.streams import Channel, categorical

SCENARIOS = ("baseline", "plan")
MODES = ("model", "inverse_cdf", "unshared")
OUTCOMES = ("haimen_population", "net_migration", "urbanization")
YEARS = (2025, 2035)


def _pooled(key: np.ndarray) -> np.ndarray:
    """Whether each key is a pool's or a returner's household, bool[n]."""
    drawn_as = np.asarray(key, dtype=np.uint64) >> np.uint64(KIND_SHIFT)
    return (drawn_as == POOL_HOUSEHOLD) | (drawn_as == RETURN_HOUSEHOLD)


def _salted(key: np.ndarray, salt: np.uint64) -> np.ndarray:
    """The keys, those of the pools' and returners' households xor-ed with ``salt`` (the others as they are)."""
    key = np.asarray(key, dtype=np.uint64)
    return np.where(_pooled(key), key ^ salt, key)


class PoolsByInverseCdf:
    """A draw (``agents.choice.Draw``): the model's nested draw, but the pooled deciders' choices by inverse CDF
    on their own uniforms ``u`` against their kind's nested-logit probabilities."""

    def __init__(self, nests: Nests, nested: NestedDraw, pooled: np.ndarray, u: np.ndarray) -> None:
        self.nests, self.nested, self.pooled, self.u = nests, nested, pooled, u

    def _with_pools(self, choice: np.ndarray, V: np.ndarray, kind: np.ndarray) -> np.ndarray:
        choice = choice.copy()
        choice[self.pooled] = categorical(self.u, self.nests.probabilities(V), kind[self.pooled])
        return choice

    def __call__(self, V: np.ndarray, kind: np.ndarray) -> np.ndarray:
        return self._with_pools(self.nested(V, kind), V, kind)

    def redraw(
        self, V: np.ndarray, kind: np.ndarray, changed: np.ndarray, alternatives: np.ndarray | None = None
    ) -> np.ndarray:
        return self._with_pools(self.nested.redraw(V, kind, changed, alternatives), V, kind)


def _replaced(mode: str, scenario: str) -> dict[str, Callable]:
    """The functions of ``abm.model`` that ``mode`` replaces in ``scenario``'s run (none for the model)."""
    draw, uniform = abm.model.residence_draw, abm.model.uniform
    if mode == "unshared":
        salt = np.uint64(zlib.crc32(scenario.encode()) << 20 | 1)  # a different salt per scenario

        def unshared_draw(nests, seed, year, key):
            return draw(nests, seed, year, _salted(key, salt))

        def lottery_uniform(seed, channel, year, keys, slots=None):
            keys = _salted(keys, salt) if channel == Channel.LOTTERY else keys
            return uniform(seed, channel, year, keys, slots)

        return {"residence_draw": unshared_draw, "uniform": lottery_uniform}
    if mode == "inverse_cdf":

        def pools_by_inverse_cdf(nests, seed, year, key):
            pooled = _pooled(key)
            u = uniform(seed, Channel.RESIDENCE_NEST, year, np.asarray(key)[pooled])  # (no slot: not a Gumbel's)
            return PoolsByInverseCdf(nests, draw(nests, seed, year, key), pooled, u)

        return {"residence_draw": pools_by_inverse_cdf}
    return {}


def run(scenario: str, seed: int, scale: int, end: int, mode: str = "model") -> dict[tuple[int, str], float]:
    """The outcomes of one run in :data:`YEARS`, drawn the way ``mode`` says (the module's docstring)."""
    replaced = _replaced(mode, scenario)
    with mock.patch.multiple(abm.model, **replaced) if replaced else nullcontext():
        model = MigrationModel(scale=scale, end=end, rng=seed, scenario=None if scenario == "baseline" else scenario)
        while model.running:
            model.step()
    log = model.outcomes().set_index(["year", "outcome"])["value"]
    return {(year, name): float(log[(year, name)]) for year in YEARS if year <= end for name in OUTCOMES}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--end", type=int, default=2035)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    cases = [(s, seed, mode) for mode in MODES for seed in seeds for s in SCENARIOS]
    results = Parallel(n_jobs=args.jobs)(
        delayed(run)(scenario, seed, args.scale, args.end, mode) for scenario, seed, mode in cases
    )
    by_case = dict(zip(cases, results, strict=True))
    print(f"1:{args.scale}, seeds 1-{args.seeds}: the plan's effect (plan - baseline), mean and SD over seeds;")
    print("'seeds x': the seeds needed for the model's standard error, as a multiple of the model's")
    print(f"{'outcome':>18s} {'year':>5s}" + "".join(f" {m + ': mean':>18s} {'SD':>9s} {'seeds x':>8s}" for m in MODES))
    for key in results[0]:
        effect = {
            mode: np.array([by_case[("plan", s, mode)][key] - by_case[("baseline", s, mode)][key] for s in seeds])
            for mode in MODES
        }
        sd = {mode: effect[mode].std(ddof=1) for mode in MODES}
        line = f"{key[1]:>18s} {key[0]:>5d}"
        for mode in MODES:
            times = (sd[mode] / sd["model"]) ** 2 if sd["model"] > 0 else float("nan")
            line += f" {effect[mode].mean():>18,.4g} {sd[mode]:>9,.4g} {times:>8.1f}"
        print(line)


if __name__ == "__main__":
    main()
