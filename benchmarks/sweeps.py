"""Sweep benchmark: writes benchmarks/SWEEPS.md.

For the same runs of the plan (a Latin hypercube over ``beta_access``, paired seed):

1. serial, through ``abm sweep``'s runner (outcomes + Parquet writes included);
2. joblib with 2 workers, the same runner;
3. ``mesa.batch_run(number_processes=2)`` on the same settings and seed (model only, no files);
4. the runner's overhead: everything but building and stepping the model, as a share of a run;
5. a large Latin hypercube (default 1,000 runs) at 1:100 with joblib, 2 workers.

    .venv/bin/python benchmarks/sweeps.py                          # the full measurement (quiet machine!)
    .venv/bin/python benchmarks/sweeps.py --runs 4 --scale 1000 --end 2022 --lhs-runs 6 --out /tmp/SWEEPS.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import shlex
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

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


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return (
        f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=40, help="runs compared across backends (default 40)")
    p.add_argument("--scale", type=int, default=100, help="people per agent (default 100)")
    p.add_argument("--end", type=int, default=2035, help="last year (default 2035)")
    p.add_argument("--jobs", type=int, default=2, help="workers (default 2)")
    p.add_argument("--lhs-runs", type=int, default=1000, help="runs in the large Latin hypercube (default 1000)")
    p.add_argument("--out", type=Path, default=HERE / "SWEEPS.md", help="report file (default benchmarks/SWEEPS.md)")
    args = p.parse_args(argv)

    sweep = sweep_of(args.runs, args.scale, args.end, "bench")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        run_sweep(sweep_of(1, args.scale, 2021, "warm"), tmp / "warm", backend="serial", progress=False)  # imports
        serial = timed(lambda: run_sweep(sweep, tmp / "serial", backend="serial", progress=False))
        parallel = timed(lambda: run_sweep(sweep, tmp / "joblib", backend="joblib", jobs=args.jobs, progress=False))
        same = outcomes(tmp / "serial").equals(outcomes(tmp / "joblib"))
        mesa_s = batch_run(sweep, args.jobs)
        # the same runs' own model time (build, steps, tables), as the runner recorded it in the manifest
        model_s = float(sweep_store.manifest(tmp / "serial").model_seconds.mean())
        per_run = serial / args.runs
        overhead = max(per_run - model_s, 0.0) / per_run
        big = sweep_of(args.lhs_runs, args.scale, args.end, "big")
        big_s = timed(lambda: run_sweep(big, tmp / "big", backend="joblib", jobs=args.jobs, progress=False))

    rows = "\n".join(
        f"| {what} | {n} | {sec:.1f} | {sec / n:.3f} | {n / sec:.2f} |"
        for what, n, sec in (
            ("serial (sweep runner, files written)", args.runs, serial),
            (f"joblib, {args.jobs} workers (sweep runner)", args.runs, parallel),
            (f"`mesa.batch_run(number_processes={args.jobs})` (no files)", args.runs, mesa_s),
            (f"Latin hypercube, joblib {args.jobs} workers", args.lhs_runs, big_s),
        )
    )
    command = " ".join(["python benchmarks/sweeps.py", *map(shlex.quote, argv if argv is not None else sys.argv[1:])])
    text = f"""# Sweep benchmark

Generated by `benchmarks/sweeps.py`; do not edit by hand.

- date: {dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
- machine: {machine()}
- command: `{command}`
- commit: {git_commit()}
- runs: the plan, Latin hypercube over `beta_access`, paired seed, 1:{args.scale}, 2020–{args.end}

| what | runs | seconds | seconds per run | runs per second |
|---|---|---|---|---|
{rows}
- serial and joblib results identical: {"yes" if same else "NO"}
- model alone (build, steps, tables; as the serial sweep's manifest records it), mean per run: {model_s:.3f} s;
  the runner's overhead (outcomes, Parquet files, manifest, scheduling) is {overhead:.1%} of a serial run.
"""
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
