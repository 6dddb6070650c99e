"""The workbench's commands: ``abm sweep``, ``abm query``, ``abm compare`` and ``abm sensitivity``
(and, from ``experiments.search_cli``, ``abm discover`` and ``abm optimize``).

:func:`register` adds them to the ``abm`` parser; each command imports what it
needs only when run, so listings and input errors stay fast. User errors
raise ``ValueError`` subclasses, which ``abm`` prints as one line (exit 2).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments import backends
from experiments.cli_options import backend_options, chosen_backend, run_option, uncertainty_options


def register(sub: argparse._SubParsersAction) -> None:
    """Add the workbench's subcommands to ``sub`` (the ``abm`` parser's subparsers)."""
    p = sub.add_parser("sweep", help="run a sweep file: many runs over levers and parameters, resumable")
    p.add_argument("file", help="sweep file, or the name of one in experiments/sweeps (e.g. uncertainty_lhs)")
    backend_options(p, jobs=1)
    p.add_argument("--out", type=Path, help="results folder (default: results/sweeps/<sweep name>[-scaleK][-toEND])")
    p.add_argument("--scale", type=run_option("scale", "--scale"), help="people per agent (instead of the file's)")
    years = p.add_mutually_exclusive_group()
    years.add_argument("--years", type=_years, help="first:last year, e.g. 2020:2030 (instead of the file's)")
    years.add_argument("--end", type=run_option("end", "--end"), help="last year (as --years 2020:END)")
    p.add_argument("--retry-failed", action="store_true", help="run failed runs again (finished ones are skipped)")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the runs, the design and an estimate of the time (from one short run timed here); run nothing",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--flush",
        type=_flush,
        metavar="SECONDS",
        help="write finished runs together at most every SECONDS (default: a few, sweep_store.FLUSH_SECONDS; "
        "0: each run at once); a crash loses at most that much finished work",
    )
    p.add_argument(
        "--recalibrate",
        action="store_true",
        help="refit the free constants for every run's uncertainties first (cached; as `recalibrate = true`)",
    )
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser("query", help="DuckDB SQL over a sweep's results (views: runs, outcomes, yearly, …)")
    p.add_argument("folder", type=Path, help="a sweep's results folder")
    p.add_argument("sql", help='e.g. "SELECT outcome, avg(value) FROM outcomes WHERE year = 2025 GROUP BY 1"')
    p.add_argument(
        "--csv", action="store_true", help="print CSV (every digit) instead of a table (rounded for reading)"
    )
    p.set_defaults(func=cmd_query)

    p = sub.add_parser("compare", help="report comparing scenarios on paired replicates (HTML + xlsx)")
    p.add_argument("scenarios", nargs="+", help="two or more scenario names or files; the first is the reference")
    p.add_argument("--replicates", type=int, default=3, help="paired seeds per scenario (default 3)")
    p.add_argument("--scale", type=int, help="people per agent (default: the first scenario's)")
    p.add_argument("--years", help="first:last year, e.g. 2020:2030 (default: the first scenario's)")
    backend_options(p, jobs=-1)
    p.add_argument(
        "--measures",
        action=argparse.BooleanOptionalAction,
        help="yuan per added resident of each measure: also run each scenario without each measure group it "
        "changes (default: when the reference runs every lever at baseline, as in `compare baseline plan`; "
        "10 more runs per replicate for the plan)",
    )
    uncertainty_options(
        p,
        0,
        "the band across the assumptions: also run every scenario at the central values and N recalibrated "
        "uncertainty points, each on the comparison's seeds (default %(default)s: the stored headline sweeps in "
        "results/sweeps where they match a scenario, else no band)",
    )
    p.add_argument("--out", type=Path, help="output folder (default: results/compare-A-B…)")
    p.add_argument("--replace", action="store_true", help=_REPLACE_HELP)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser("sensitivity", help="Morris or Sobol indices of the outcomes, from a finished sweep")
    p.add_argument("folder", type=Path, help="a sweep's results folder (a morris or sobol design)")
    p.add_argument(
        "--outcome", action="append", help="KEY or KEY@YEAR (repeatable; default: the declared ones at 2025)"
    )
    p.add_argument("--out", type=Path, help="output folder (default: FOLDER/sensitivity)")
    p.add_argument("--replace", action="store_true", help=_REPLACE_HELP)
    p.set_defaults(func=cmd_sensitivity)

    from experiments.search_cli import register as register_search  # discover, optimize

    register_search(sub)


_REPLACE_HELP = "replace an earlier result of this tool even if other inputs made it (never files of yours)"


def _years(text: str) -> str:
    """An argparse type for ``--years FIRST:LAST``, checked as a sweep file's ``[run] years``."""
    from environment.scenario import ScenarioError, parse_years

    try:
        parse_years(text, "--years")
    except ScenarioError as e:
        raise argparse.ArgumentTypeError(f"{text!r}: {e.allowed}") from None
    return text


def _flush(text: str) -> float:
    """An argparse type for ``--flush SECONDS``: a number from 0 to 3600."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 3600:
        raise argparse.ArgumentTypeError(f"{text!r}: seconds from 0 (each run at once) to 3600")
    return value


def cmd_sweep(args) -> int:
    from environment.inputs import CENSUS_YEAR
    from experiments.eligibility import few_agents
    from experiments.store import RESULTS_DIR
    from experiments.sweep import load
    from experiments.sweep_runner import run_sweep

    years = args.years or (None if args.end is None else f"{CENSUS_YEAR}:{args.end}")
    run = {k: v for k, v in (("scale", args.scale), ("years", years)) if v is not None}
    as_file = load(args.file)
    sweep = load(args.file, recalibrate=args.recalibrate, run=run) if run or args.recalibrate else as_file
    suffix = (f"-scale{sweep.scale}" if sweep.scale != as_file.scale else "") + (
        f"-to{sweep.end}" if sweep.end != as_file.end else ""
    )
    out = args.out or RESULTS_DIR / "sweeps" / f"{sweep.name}{suffix}"
    runs = len(sweep.runs())
    for line in few_agents(sweep.base.settings, sweep.scale, sweep.seed, factors=[f.key for f in sweep.factors]):
        print(line, file=sys.stderr)
    print(
        f"{sweep.name}: {sweep.design} design, {runs // sweep.replicates} points × {sweep.replicates} replicates "
        f"= {runs} runs of {sweep.base.name} (1:{sweep.scale}, 2020–{sweep.end}) → {out}",
        file=sys.stderr,
    )
    if args.dry_run:
        return _dry_run(sweep, out, args)
    try:
        summary = run_sweep(
            sweep,
            out,
            backend=args.backend,
            jobs=args.jobs,
            scheduler=args.scheduler,
            progress=not args.no_progress,
            retry_failed=args.retry_failed,
            **({} if args.flush is None else {"flush_seconds": args.flush}),
        )
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are in {out}; the same command does the rest", file=sys.stderr)
        return 130
    print(summary.line())
    if summary.failed:
        print(
            f"{summary.failed} runs failed: abm query {out} \"SELECT run_id, error FROM runs WHERE status = 'failed'\"",
            file=sys.stderr,
        )
        return 1
    return 0


def _dry_run(sweep, out: Path, args) -> int:
    """``abm sweep --dry-run``: what the sweep would run and about how long it would take; nothing is written."""
    import os

    from experiments import sweep_store
    from experiments.sweep import describe_design, estimate

    chosen_backend(args)  # the flags checked as a real run checks them
    runs = sweep.runs()
    done = sweep_store.finished(out, runs, args.retry_failed) if (out / sweep_store.RUNS).is_dir() else set()
    todo = len(runs) - len(done)
    print("\n".join(describe_design(sweep)))
    print(f"runs: {len(runs):,} ({len(done):,} already finished in {out}, {todo:,} to run)")
    e = estimate(sweep)
    print(
        f"a run: about {e.run:.2f} s (building the model {e.setup:.2f} s + {e.years} years × {e.year:.3f} s; "
        f"timed here on the first design point at 1:{sweep.scale} over {e.timed_years} years)"
    )
    if args.backend == "dask" and args.scheduler:
        print(f"estimate: {e.total(todo, 1):,.0f} s of work, divided among the cluster's worker processes")
    else:
        workers = 1 if args.backend == "serial" else (os.cpu_count() or 1) if args.jobs == -1 else args.jobs
        print(
            f"estimate: about {_duration(e.total(todo, workers))} for {todo:,} runs on {workers} worker"
            f"{'s' if workers > 1 else ''} at full speed (slower on a busy machine; writing adds a few per cent"
            + ("; each point's refit of the free constants, cached, comes on top" if sweep.recalibrate else "")
            + ")"
        )
    return 0


def _duration(seconds: float) -> str:
    """``42 s``, ``3.5 min`` or ``2.1 h``."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def cmd_query(args) -> int:
    import pandas as pd

    from experiments.query import query, readable

    table = query(args.folder, args.sql)
    if args.csv:
        table.to_csv(sys.stdout, index=False)
    else:
        with pd.option_context("display.max_rows", 200, "display.max_columns", 50, "display.width", 200):
            print(readable(table).to_string(index=False))
    return 0


def cmd_compare(args) -> int:
    from environment import scenario as sc
    from experiments.compare import check_distinct, compare, details, measure_variants, summary
    from experiments.eligibility import few_agents
    from experiments.output_folders import staged
    from experiments.report import write_report
    from experiments.store import RESULTS_DIR

    if len(args.scenarios) < 2:
        raise sc.ScenarioError("compare", "scenarios", args.scenarios, "name at least two scenarios")
    if not 1 <= args.replicates <= 100:
        raise sc.ScenarioError("--replicates", "replicates", args.replicates, "a whole number from 1 to 100")
    scenarios = [sc.load(name).with_run(scale=args.scale, years=args.years) for name in args.scenarios]
    first = scenarios[0]
    scenarios = [s.with_run(scale=first.scale, years=f"{first.start}:{first.end}") for s in scenarios]
    check_distinct(scenarios)
    variants = measure_variants(scenarios, args.measures)  # a --measures the reference cannot take: refused here
    if args.uncertainty_points:
        from experiments.sweep import load as load_sweep

        load_sweep(args.uncertainty)  # a bad sweep file is refused before any run
    backend = chosen_backend(args)
    out = args.out or RESULTS_DIR / ("compare-" + "-".join(s.name for s in scenarios))
    identity = {
        "source": "+".join(s.source for s in scenarios),
        "scenarios": [s.name for s in scenarios],
        "replicates": args.replicates,
        "scale": first.scale,
        "measures": len(variants) > 0,
        "uncertainty_points": args.uncertainty_points,
    }
    more = len(variants) * args.replicates
    if more:
        print(
            f"per-measure costs: {more} more runs (each scenario without each measure it changes; --no-measures "
            "skips them)",
            file=sys.stderr,
        )
    with (
        staged(out, "report", identity, replace=args.replace, say=lambda line: print(line, file=sys.stderr)) as folder,
        backends.using(backend),
    ):
        for line in few_agents(first.settings, first.scale, first.seed, compared=[s.settings for s in scenarios]):
            print(line, file=sys.stderr)
        result = compare(
            scenarios,
            replicates=args.replicates,
            n_jobs=args.jobs,
            progress=not args.no_progress,
            measures=args.measures,
            band_points=args.uncertainty_points,
            band_sweep=args.uncertainty,
            refit_scale=args.refit_scale,
            sweeps=RESULTS_DIR / "sweeps",
        )
        html, xlsx = write_report(result, folder)
    resolved = Path(out).resolve()
    print(f"{summary(result)}\n\n{details(result)}\n\nreport: {resolved / html.name}\nworkbook: {resolved / xlsx.name}")
    return 0


def cmd_sensitivity(args) -> int:
    from experiments.output_folders import staged
    from experiments.sensitivity import analyse, write

    table = analyse(args.folder, args.outcome)
    out = args.out or args.folder / "sensitivity"
    with staged(out, "sensitivity", {"source": str(Path(args.folder).resolve())}, replace=args.replace) as folder:
        text = write(table, folder)
    print(text)
    print(f"tables and plot in {out}", file=sys.stderr)
    return 0
