"""Runs per minute at the lever search's scale, in warm joblib workers: what ``benchmarks/run.py`` starts, in a
fresh process, for each commit it measures (part 6).

    python benchmarks/throughput.py SCALE END RUNS ROUNDS [--jobs N] [--pinned JSON]

Run as ``benchmarks/child.py`` is: by its path, from the root of the tree measured, with that tree first on
``PYTHONPATH`` (the joblib workers inherit it, so they import the same tree's model). Prints one JSON line: the
cost of ``import abm.model`` and of a first and a second model's setup at 1:``SCALE`` in this fresh process, then
``ROUNDS`` rounds of ``RUNS`` plan runs (paired seeds 1 … RUNS, each built, stepped to ``END`` and its tables
made), serial in this process and on ``--jobs`` warm workers (``joblib``'s reusable loky executor, warmed by a
first call), interleaved (serial, workers, serial, …) so that a burst of load from elsewhere hits both alike.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from typing import Any

SCENARIO = "plan"  # the search varies levers around the plan


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", type=int)
    parser.add_argument("end", type=int)
    parser.add_argument("runs", type=int)
    parser.add_argument("rounds", type=int)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--pinned", default="", help="parameter values (JSON) set where this tree declares them")
    return parser.parse_args(argv)


def one_run(scale: int, end: int, seed: int, settings: dict[str, Any]) -> float:
    """One run as a search evaluates it (built, stepped to ``end``, its tables made); returns its CPU seconds."""
    from abm.model import MigrationModel

    started = time.process_time()
    model = MigrationModel(scale=scale, end=end, rng=seed, **settings)
    while model.running:
        model.step()
    model.tables()
    return time.process_time() - started


def measure(scale: int, end: int, runs: int, rounds: int, jobs: int = 2, pinned: str = "") -> dict[str, Any]:
    """Import and setup costs in this process, then serial and warm-worker rounds (see the module's docstring)."""
    started = time.perf_counter()
    import abm.model

    imported = time.perf_counter() - started
    from child import pinned_settings  # this tree's (run by its path: its folder is first on the path)
    from joblib import Parallel, delayed

    from environment.scenario import load

    settings, unpinned = pinned_settings(dict(load(SCENARIO).settings), pinned)
    setups = []
    for _ in range(2):  # the first pays what is computed once per process, the second is a warm worker's
        t = time.perf_counter()
        abm.model.MigrationModel(scale=scale, end=end, rng=1, **settings)
        setups.append(time.perf_counter() - t)
    seeds = range(1, runs + 1)
    parallel = Parallel(n_jobs=jobs, backend="loky")
    t = time.perf_counter()
    parallel(delayed(one_run)(scale, end, seed, settings) for seed in seeds)  # starts and warms the workers
    cold = time.perf_counter() - t
    one_run(scale, end, 1, settings)  # warms this process too
    serial, workers, run_cpu = [], [], []
    for _ in range(rounds):
        t = time.perf_counter()
        run_cpu.extend(one_run(scale, end, seed, settings) for seed in seeds)
        serial.append(time.perf_counter() - t)
        t = time.perf_counter()
        parallel(delayed(one_run)(scale, end, seed, settings) for seed in seeds)
        workers.append(time.perf_counter() - t)
    return {
        "import": imported,
        "setup_first": setups[0],
        "setup_warm": setups[1],
        "runs": runs,
        "jobs": jobs,
        "cold_workers": cold,
        "serial": serial,
        "workers": workers,
        "run_cpu": run_cpu,
        "unpinned": unpinned,
        "package": abm.__file__,
        "load": os.getloadavg()[0],
    }


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    print(json.dumps(measure(args.scale, args.end, args.runs, args.rounds, args.jobs, args.pinned)))


if __name__ == "__main__":
    main()
