"""The commands ``abm discover`` (scenario discovery on a sweep) and ``abm optimize`` (a robust lever search).

:func:`register` adds them to the ``abm`` parser (called from ``experiments.workbench_cli``); each
command imports what it needs only when run, so listings and input errors stay fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from experiments.cli_options import backend_options, chosen_backend


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``discover`` and ``optimize`` to ``sub`` (the ``abm`` parser's subparsers)."""
    p = sub.add_parser("discover", help="scenario discovery: where a target holds in a finished sweep (PRIM, CART)")
    p.add_argument("folder", type=Path, help="a finished sweep's results folder")
    p.add_argument("--outcome", required=True, help="KEY@YEAR, e.g. haimen_population@2025 (KEY@FIRST:LAST: a total)")
    p.add_argument(
        "--target",
        required=True,
        help='OP NUMBER, e.g. ">= 1100000" or ">= 110万"; an effect against a paired sweep: "plan effect < 2万"',
    )
    p.add_argument("--against", type=Path, help="the paired sweep's folder (for an effect target)")
    p.add_argument("--density", type=_share, default=0.8, help="the box: widest one at least this dense (0.8)")
    p.add_argument("--box", type=_step, help="report this step of PRIM's peeling trajectory instead")
    p.add_argument("--out", type=Path, help="output folder (default: FOLDER/discovery/<target>)")
    p.add_argument(
        "--replace", action="store_true", help="replace an earlier discovery even if another sweep or target made it"
    )
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("optimize", help="robust lever search: what it would take to reach a target, at what cost")
    p.add_argument("file", help="search file, or the name of one in experiments/searches (e.g. reach_110wan)")
    backend_options(p, jobs=1)
    p.add_argument("--out", type=Path, help="results folder (default: results/searches/<name>)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_optimize)


def _share(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a density above 0, at most 1 (e.g. 0.8)")
    return value


def _step(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: a step of the peeling trajectory (0, 1, 2, …)")
    return int(text)


def cmd_discover(args) -> int:
    from experiments import discover_report
    from experiments.discover import discover, load_cases, slug
    from experiments.discover_report import in_words
    from experiments.output_folders import staged

    cases = load_cases(args.folder, args.outcome, args.target, args.against)
    found = discover(cases, box=args.box, min_density=args.density)
    out = args.out or Path(args.folder) / "discovery" / slug(cases.target)
    identity = {"source": str(Path(args.folder).resolve()), "target": cases.target.text}
    say = lambda line: print(line, file=sys.stderr)  # noqa: E731
    with staged(out, "discovery", identity, replace=args.replace, say=say) as folder:
        discover_report.write(found, folder)
    step = found.trajectory.loc[found.chosen]
    zh, en = in_words(found.limits)
    print(f"{cases.target.text}: {int(cases.met.sum())} of {len(cases.met)} design points meet it")
    print(f"PRIM box {found.chosen}: coverage {step.coverage:.0%}, density {step.density:.0%}, where {en}")
    print(f"盒子 {found.chosen}: 覆盖率 {step.coverage:.0%}, 密度 {step.density:.0%}, 条件 {zh}")
    print(f"report, plots and tables in {Path(out).resolve()}", file=sys.stderr)
    return 0


def cmd_optimize(args) -> int:
    from experiments import search_report
    from experiments.optimize import optimize
    from experiments.output_folders import locked
    from experiments.search_runs import SearchFailed
    from experiments.search_spec import load
    from experiments.store import RESULTS_DIR

    spec = load(args.file)
    backend = chosen_backend(args)
    out = args.out or RESULTS_DIR / "searches" / spec.name
    say = lambda line: print(line, file=sys.stderr)  # noqa: E731
    identity = {"source": str(Path(spec.source).resolve()), "search": spec.name}
    try:
        with locked(out, "search", identity) as folder:
            outcome = optimize(spec, folder, backend, not args.no_progress, say=say)
            search_report.write(outcome, folder)
    except KeyboardInterrupt:
        print(f"\ninterrupted: finished runs are in {out}; the same command goes on from there", file=sys.stderr)
        return 130
    except SearchFailed as e:
        print(f"abm: failed: {e}", file=sys.stderr)
        return 1
    found = search_report.answer(outcome)
    print(search_report.summary(outcome, found))
    print(f"report, Pareto set and scenario files in {Path(out).resolve()}", file=sys.stderr)
    return 0
