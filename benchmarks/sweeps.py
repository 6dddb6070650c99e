"""Sweep benchmark: writes benchmarks/SWEEPS.md.

For the same runs of the plan (a Latin hypercube over ``beta_access``, paired seed):

1. serial, through ``abm sweep``'s runner (outcomes + Parquet writes included);
2. joblib with 2 workers, the same runner;
3. ``mesa.batch_run(number_processes=2)`` on the same settings and seed (model only, no files);
4. the runner's overhead: everything but building and stepping the model, as a share of a run;
5. a large Latin hypercube (default 1,000 runs) at 1:100 with joblib, 2 workers.

Every process is warm when timed (imports done, as in a long session or a long sweep): the main
process by a first small sweep, the joblib workers (which joblib keeps between calls) by a first
joblib sweep of the same runs, timed on its own as the cold start. Serial and joblib are measured
``--repeats`` times, interleaved (serial, joblib, serial, …) so that a burst of load from elsewhere
hits both alike; the table gives each one's median, the speed-up is the median of the rounds'
serial/joblib ratios, and the overhead the median of the serial rounds' shares. ``mesa.batch_run``
(``--repeats`` times, after them) starts new worker processes at every call: that is how it works.

    .venv/bin/python benchmarks/sweeps.py                          # the full measurement (quiet machine!)
    .venv/bin/python benchmarks/sweeps.py --runs 4 --scale 1000 --end 2022 --lhs-runs 6 --out /tmp/SWEEPS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.machine import machine  # noqa: E402
from experiments import sweep_store  # noqa: E402
from experiments.store import git_commit  # noqa: E402
from experiments.sweep import parse  # noqa: E402
from experiments.sweep_runner import run_sweep  # noqa: E402


def sweep_of(runs: int, scale: int, end: int, name: str):
    """A paired Latin hypercube of ``runs`` points over beta_access around the plan."""
    raw = {
        "name": name,
        "base": "plan",
        "seed": 1,
        "run": {"scale": scale, "years": f"2020:{end}"},
        "design": {"kind": "lhs", "samples": runs},
        "vary": {"beta_access": {}},
    }
    return parse(raw, f"benchmark {name}")


def timed(func) -> float:
    started = time.perf_counter()
    func()
    return time.perf_counter() - started


def outcomes(folder: Path) -> pd.DataFrame:
    return pd.read_parquet(folder / "outcomes").sort_values(["run_id", "outcome", "year"], ignore_index=True)


def batch_run(sweep, jobs: int) -> float:
    import mesa

    from abm.model import MigrationModel

    values = [r.values["beta_access"] for r in sweep.runs()]
    parameters = {"scale": sweep.scale, "end": sweep.end, "beta_access": values, **sweep.base.settings}
    seed = sweep.runs()[0].seed
    return timed(
        lambda: mesa.batch_run(
            MigrationModel,
            parameters=parameters,
            rng=[seed],
            max_steps=1000,
            number_processes=jobs,
            data_collection_period=-1,
            display_progress=False,
        )
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=40, help="runs compared across backends (default 40)")
    p.add_argument("--scale", type=int, default=100, help="people per agent (default 100)")
    p.add_argument("--end", type=int, default=2035, help="last year (default 2035)")
    p.add_argument("--jobs", type=int, default=2, help="workers (default 2)")
    p.add_argument("--repeats", type=int, default=3, help="interleaved rounds of serial/joblib/batch_run (default 3)")
    p.add_argument("--lhs-runs", type=int, default=1000, help="runs in the large Latin hypercube (default 1000)")
    p.add_argument("--out", type=Path, default=HERE / "SWEEPS.md", help="report file (default benchmarks/SWEEPS.md)")
    args = p.parse_args(argv)

    load_before = os.getloadavg()
    sweep = sweep_of(args.runs, args.scale, args.end, "bench")
    serial, parallel, overheads, ratios, model_s = [], [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_sweep(sweep_of(1, args.scale, 2021, "warm"), tmp / "warm", backend="serial", progress=False)  # imports
        cold = timed(lambda: run_sweep(sweep, tmp / "cold", backend="joblib", jobs=args.jobs, progress=False))
        for k in range(args.repeats):
            serial.append(timed(lambda k=k: run_sweep(sweep, tmp / f"serial{k}", backend="serial", progress=False)))
            parallel.append(
                timed(
                    lambda k=k: run_sweep(sweep, tmp / f"joblib{k}", backend="joblib", jobs=args.jobs, progress=False)
                )
            )
            ratios.append(serial[-1] / parallel[-1])
            # the runs' own model time (build, steps, tables), as the runner recorded it in the manifest
            model = float(sweep_store.manifest(tmp / f"serial{k}").model_seconds.sum())
            model_s.append(model / args.runs)
            overheads.append(max(serial[-1] - model, 0.0) / serial[-1])
        # after joblib: mesa.batch_run starts its own (spawned) worker processes each time, and joblib's
        # workers do not survive it (the next joblib call starts new ones)
        mesa_s = [batch_run(sweep, args.jobs) for _ in range(args.repeats)]
        others = ["cold", *(f"{kind}{k}" for k in range(args.repeats) for kind in ("serial", "joblib"))]
        same = all(outcomes(tmp / "serial0").equals(outcomes(tmp / d)) for d in others)
        big = sweep_of(args.lhs_runs, args.scale, args.end, "big")
        big_s = timed(lambda: run_sweep(big, tmp / "big", backend="joblib", jobs=args.jobs, progress=False))
    load_after = os.getloadavg()

    def spread(values: list[float]) -> str:
        return f"{min(values):.1f}–{max(values):.1f}" if len(values) > 1 else "–"

    table = [
        ("serial (sweep runner, files written)", args.runs, serial),
        (f"joblib, {args.jobs} workers (sweep runner), warm workers", args.runs, parallel),
        (f"joblib, {args.jobs} workers, cold: the process's first joblib sweep", args.runs, [cold]),
        (f"`mesa.batch_run(number_processes={args.jobs})` (no files)", args.runs, mesa_s),
        (f"Latin hypercube, joblib {args.jobs} workers", args.lhs_runs, [big_s]),
    ]
    rows = "\n".join(
        f"| {what} | {n} | {statistics.median(sec):.1f} | {spread(sec)} | {statistics.median(sec) / n:.3f} "
        f"| {n / statistics.median(sec):.2f} |"
        for what, n, sec in table
    )
    command = " ".join(["python benchmarks/sweeps.py", *map(shlex.quote, argv if argv is not None else sys.argv[1:])])
    ratio, overhead = statistics.median(ratios), statistics.median(overheads)
    text = f"""# Sweep benchmark

Generated by `benchmarks/sweeps.py`; do not edit by hand.

- date: {dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
- machine: {machine()}
- load average (1, 5, 15 min) before: {", ".join(f"{x:.2f}" for x in load_before)}; after: \
{", ".join(f"{x:.2f}" for x in load_after)} (above 0 means other work shared the cores)
- command: `{command}`
- commit: {git_commit()}
- runs: the plan, Latin hypercube over `beta_access`, paired seed, 1:{args.scale}, 2020–{args.end}
- timed warm (imports done in every process; `mesa.batch_run` spawns its workers at every call); rows 1, 2 \
and 4: median of {args.repeats} rounds (serial and joblib interleaved)

| what | runs | seconds (median) | range | seconds per run | runs per second |
|---|---|---|---|---|---|
{rows}

- joblib with {args.jobs} warm workers against serial: {ratio:.2f}× (median of the rounds' ratios: \
{", ".join(f"{r:.2f}" for r in ratios)}); the cold sweep took {cold:.1f} s against the warm median \
{statistics.median(parallel):.1f} s (the difference: starting {args.jobs} workers and importing the model in them, \
once per session)
- serial and joblib results identical (every round): {"yes" if same else "NO"}
- model alone (build, steps, tables; as the serial sweep's manifest records it), per run: \
{statistics.median(model_s):.3f} s; the runner's overhead (outcomes, Parquet files, manifest, scheduling) is \
{overhead:.1%} of a serial run (median of the rounds: {", ".join(f"{o:.1%}" for o in overheads)})
"""
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
