"""Search benchmark: writes benchmarks/SEARCH.md.

For a search file (default ``reach_110wan``: ten levers, sixteen recalibrated uncertainty points):

1. model evaluations per minute at the search's scale and years, through the search's own evaluator
   (every run stored as it finishes): joblib with 1 and 2 workers, and a Dask LocalCluster with 1 and 2
   workers (each warm: workers started and the model imported before the clock starts);
2. the uncertainty points' calibrations: read from the cache, and the first-time cost of refitting
   ``--calibration-points`` of them with an empty cache (serially, in this process), per point;
3. the whole search (``abm optimize``'s work: search and fine re-evaluation) into a fresh folder with
   2 joblib workers, the calibrations cached.

The machine may be shared: the load average is given before and after each measurement.

    .venv/bin/python benchmarks/search.py                                  # everything (~30 min quiet)
    .venv/bin/python benchmarks/search.py --runs 32 --skip-search --out /tmp/SEARCH.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.machine import machine  # noqa: E402
from experiments import backends, calibrate  # noqa: E402
from experiments.backends import Backend  # noqa: E402
from experiments.optimize import optimize, problem_of, uncertainty_points  # noqa: E402
from experiments.search_runs import Evaluator, Fidelity, fit_points  # noqa: E402
from experiments.search_spec import load  # noqa: E402
from experiments.store import RESULTS_DIR, git_commit  # noqa: E402


def load_text() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def candidates(spec, n: int, seed: int = 7) -> list[dict]:
    """``n`` lever settings drawn uniformly within the searched ranges."""
    problem = problem_of(spec)
    low, high = problem.bounds()
    rng = np.random.default_rng(seed)
    return [problem.decode(rng.uniform(low, np.nextafter(high, low))) for _ in range(n)]


def throughput(spec, points, folder: Path, backend: str, jobs: int, n_candidates: int) -> dict:
    """Seconds for ``n_candidates`` × points × seeds fresh runs on a warm backend, and runs per minute."""
    fidelity = Fidelity.of(spec.scale, spec.end, spec.seeds, spec.seed)
    terms = list(dict.fromkeys(m.term for m in problem_of(spec).measures))
    before = load_text()
    with backends.using(Backend(backend, jobs)) as where:
        args = (spec.base.settings, spec.base.name, points, fidelity, terms, where)
        Evaluator(folder / "warm", *args)(candidates(spec, max(jobs, 1), seed=99))  # start workers, import
        evaluator = Evaluator(folder / "timed", *args)
        started = time.perf_counter()
        evaluator(candidates(spec, n_candidates))
        seconds = time.perf_counter() - started
    runs = n_candidates * len(points.settings) * len(fidelity.seeds)
    return {"runs": runs, "seconds": seconds, "per_minute": runs / seconds * 60, "load": f"{before} → {load_text()}"}


def first_calibrations(values: list[dict], refit, n: int, folder: Path) -> tuple[float, str]:
    """Seconds per point to refit the free constants with an empty cache (serially, here)."""
    saved = calibrate.CACHE_DIR
    calibrate.CACHE_DIR = folder
    before = load_text()
    try:
        started = time.perf_counter()
        for v in values[:n]:
            calibrate.fitted_constants(v, *refit)
        return (time.perf_counter() - started) / n, f"{before} → {load_text()}"
    finally:
        calibrate.CACHE_DIR = saved


def finished_search(folder: Path, rows: list, scale: int) -> list[str]:
    """Lines on a finished search in ``folder``: its runs, when they finished, and how long they would take at the
    rate measured here with 2 joblib workers."""
    import pandas as pd

    from experiments import sweep_store

    stores = [d for d in sorted(folder.glob("*")) if (d / sweep_store.RUNS).is_dir()] if folder.is_dir() else []
    if not stores:
        return []
    lines = []
    rate = {(b, j): r["per_minute"] for b, j, r in rows}.get(("joblib", 2))
    for store in stores:
        runs = sweep_store.manifest(store)
        times = pd.to_datetime(runs.finished_at)
        span = (times.max() - times.min()).total_seconds() / 60
        same_scale = sweep_store.meta(store)["identity"].get("scale") == scale
        projected = ""
        if rate and same_scale:
            projected = f"; at the rate measured above (joblib, 2 workers) {len(runs) / rate:.1f} min"
        lines.append(
            f"- `{store}`: {len(runs):,} runs, the first finished {times.min():%H:%M}, the last "
            f"{times.max():%H:%M} UTC ({span:.0f} min as it ran){projected}"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--spec", default="reach_110wan", help="search file (default reach_110wan)")
    p.add_argument("--runs", type=int, default=256, help="runs timed per backend (default 256, rounded to points)")
    p.add_argument("--calibration-points", type=int, default=2, help="points refitted with an empty cache (2)")
    p.add_argument("--skip-dask", action="store_true", help="no Dask measurement")
    p.add_argument("--skip-search", action="store_true", help="no whole search (see --search-folder)")
    p.add_argument(
        "--search-folder",
        type=Path,
        help="a finished search of the same file (default results/searches/NAME): its runs, and the time they "
        "would take at the measured rate",
    )
    p.add_argument("--out", type=Path, default=HERE / "SEARCH.md", help="report file (default benchmarks/SEARCH.md)")
    args = p.parse_args(argv)

    spec = load(args.spec)
    values, refit = uncertainty_points(spec)
    started = time.perf_counter()
    points = fit_points(values, refit, Backend("joblib", 2))
    cached_s = time.perf_counter() - started
    n_candidates = max(args.runs // (len(values) * spec.seeds), 1)
    rows, search_lines = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        per_point, cal_load = first_calibrations(values, refit, args.calibration_points, tmp / "cache")
        configurations = [("joblib", 1), ("joblib", 2)] + ([] if args.skip_dask else [("dask", 1), ("dask", 2)])
        for backend, jobs in configurations:
            result = throughput(spec, points, tmp / f"{backend}{jobs}", backend, jobs, n_candidates)
            rows.append((backend, jobs, result))
            print(backend, jobs, result, file=sys.stderr)
        if not args.skip_search:
            before = load_text()
            outcome = optimize(spec, tmp / "search", Backend("joblib", 2), progress=False)
            from experiments import search_report

            found = search_report.answer(outcome)
            seconds = outcome.seconds
            search_lines = [
                f"- the whole search, `{spec.name}`: {len(spec.factors)} levers, {len(values)} recalibrated points, "
                f"{spec.population} × {spec.generations} generations at 1:{spec.scale}, then "
                f"{len(outcome.fine) if outcome.fine is not None else 0} mixes at 1:{spec.fine_scale} × "
                f"{spec.fine_seeds} seeds; joblib, 2 workers, calibrations cached: "
                + ", ".join(f"{k} **{v / 60:.1f} min**" for k, v in seconds.items())
                + "; runs: "
                + ", ".join(f"{k} {v:,}" for k, v in outcome.runs.items())
                + f"; load {before} → {load_text()}",
                f"- its answer: {search_report.summary(outcome, found).splitlines()[0]}",
            ]
    search_lines += finished_search(args.search_folder or RESULTS_DIR / "searches" / spec.name, rows, spec.scale)
    table = "\n".join(
        f"| {backend} | {jobs} | {r['runs']} | {r['seconds']:.1f} | **{r['per_minute']:.0f}** | {r['load']} |"
        for backend, jobs, r in rows
    )
    speedups = []
    by = {(b, j): r for b, j, r in rows}
    for backend in ("joblib", "dask"):
        if (backend, 1) in by and (backend, 2) in by:
            speedups.append(f"{backend} {by[(backend, 2)]['per_minute'] / by[(backend, 1)]['per_minute']:.2f}×")
    command = " ".join(["python benchmarks/search.py", *map(shlex.quote, argv if argv is not None else sys.argv[1:])])
    text = f"""# Search benchmark

Generated by `benchmarks/search.py`; do not edit by hand.

- date: {dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
- machine: {machine()}
- command: `{command}`
- commit: {git_commit()}
- search file: `{spec.source}`: {len(spec.factors)} levers, {len(values)} uncertainty points (recalibrated: \
{"yes" if refit else "no"}), 1:{spec.scale}, 2020–{spec.end}, {spec.seeds} seed(s) per point
- load average (1, 5, 15 min) is given with each measurement: the machine is shared, above 2 means other work \
took part of the 2 cores

## Model evaluations per minute at the search's scale

| backend | workers | runs | seconds | runs per minute | load before → after |
|---|---|---|---|---|---|
{table}

2 workers against 1: {", ".join(speedups)}. Runs through the search's evaluator: the model, its declared outcomes,
the Parquet store (written every 2 s) and the bookkeeping, as in a search. joblib with 1 worker runs the models in
this process (as `abm optimize --jobs 1` does), so the store and the bookkeeping wait for them; a Dask worker is a
process of its own even when there is one.

## Calibrations of the uncertainty points

- {len(values)} points read from the cache (`results/calibration-cache`): {cached_s:.1f} s
- first time (empty cache), serially in one process: **{per_point:.0f} s per point** (mean of \
{args.calibration_points}; load {cal_load}); {len(values)} points on 2 workers ≈ \
{len(values) * per_point / 2 / 60:.1f} min, paid once per model version and uncertainty design

## The whole search

{chr(10).join(search_lines) if search_lines else "- not measured (--skip-search)"}
"""
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
