"""Measure the noise constants of tests/test_levers.py: how much an outcome moves under a negligible change.

For each seed, run the baseline and the baseline with one more industrial job a year
(a change too small to matter, but one that reshuffles the lotteries), at the test's
scale and years, and report the standard deviation over seeds of the paired difference
of each outcome.

    PYTHONPATH=. .venv/bin/python scripts/lever_noise.py [--seeds 12] [--end 2027]
"""

from __future__ import annotations

import argparse

import numpy as np

from environment.settings import levers
from experiments.runner import RunSpec, run_many
from tests.test_levers import BIRTHS, NET_MIGRATION, RURAL_TO_URBAN, SCALE, SHANGHAI_WORKERS

OUTCOMES = (NET_MIGRATION, SHANGHAI_WORKERS, RURAL_TO_URBAN, BIRTHS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=12)
    parser.add_argument("--end", type=int, default=2027)
    args = parser.parse_args()
    seeds = range(1, args.seeds + 1)
    pairs = [({}, {"industrial_jobs_other": levers()["industrial_jobs_other"].baseline + 1})]
    specs = [RunSpec(s, scale=SCALE, seed=seed, end=args.end) for seed in seeds for pair in pairs for s in pair]
    results = run_many(specs)
    base, nudged = results[0::2], results[1::2]
    for outcome in OUTCOMES:
        diffs = np.array([outcome.of(b) - outcome.of(n) for b, n in zip(base, nudged, strict=True)])
        used = outcome.noise[args.end]  # by the runs' last year
        print(f"{outcome.name:<45} noise (s.d. of paired change) {diffs.std(ddof=1):8.0f}  test uses {used:.0f}")


if __name__ == "__main__":
    main()
