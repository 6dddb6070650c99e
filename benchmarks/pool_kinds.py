"""What choosing once per kind of pool household could save: a what-if, not the model.

    .venv/bin/python benchmarks/pool_kinds.py            # 1:1, years 2022-2025, two pairs
    .venv/bin/python benchmarks/pool_kinds.py --scale 10

Counts the year's deciders, those from the outside pools and the pools' kinds of decider (the same utility
for every alternative), then times the residence choice (CPU time) as the model runs it and with only the
first decider of each pool kind choosing (draws and descriptions unchanged, so it bounds what choosing per
kind would save in the choice itself). The two are interleaved in fresh processes.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import abm.model
from abm.model import MigrationModel

YEARS = 4  # timed years, after a first one


def measure(scale: int, per_kind: bool) -> dict[str, float]:
    """The residence choice's CPU time a year (ms) and the deciders' counts, one run to 2021 + ``YEARS``."""
    described = abm.model.describe_all
    counts: list[tuple[int, int, int]] = []

    def describe(parts, world, year, seed):
        d = described(parts, world, year, seed)
        _, kind = d.kinds()
        counts.append((len(d), int(d.from_pool.sum()), len(np.unique(kind[d.from_pool]))))
        if not per_kind:
            return d
        first = np.zeros(len(d), dtype=bool)
        first[np.unique(kind, return_index=True)[1]] = True
        return d.take(np.flatnonzero(~d.from_pool | first))

    with mock.patch.object(abm.model, "describe_all", describe):
        spent = _choice_time(MigrationModel(scale=scale, end=2021 + YEARS, rng=1))
    deciders, pool, kinds = np.mean(counts[1:], axis=0)
    return {"ms": 1000 * spent / YEARS, "deciders": deciders, "pool": pool, "pool_kinds": kinds}


def _choice_time(model: MigrationModel) -> float:
    """CPU time (s) the residence choice takes in the model's years after the first (its stage method, timed on the
    instance, as ``benchmarks/child.py`` times every stage)."""
    model.step()
    choose_residences, spent = model.choose_residences, [0.0]

    def timed(*args):
        start = time.process_time()
        result = choose_residences(*args)
        spent[0] += time.process_time() - start
        return result

    model.choose_residences = timed
    while model.running:
        model.step()
    return spent[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=2)
    parser.add_argument("--child", choices=["model", "per_kind"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.scale, args.child == "per_kind")))
        return
    runs: dict[str, list[dict[str, float]]] = {"model": [], "per_kind": []}
    for _ in range(args.pairs):
        for case in runs:
            command = [sys.executable, __file__, "--scale", str(args.scale), "--child", case]
            runs[case].append(json.loads(subprocess.run(command, check=True, capture_output=True).stdout))
    first = runs["model"][0]
    print(
        f"1:{args.scale}: {first['deciders']:,.0f} deciders a year, {first['pool']:,.0f} from the pools "
        f"in {first['pool_kinds']:,.0f} kinds"
    )
    for case, label in (("model", "as the model runs it"), ("per_kind", "one decider per pool kind")):
        times = ", ".join(f"{r['ms']:.0f}" for r in runs[case])
        print(f"  residence choice, {label}: {times} ms a year (CPU)")


if __name__ == "__main__":
    main()
