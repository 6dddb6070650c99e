"""The ``abm`` command line: run scenarios, list levers and parameters, attribute, calibrate.

It sits in ``experiments/`` because it is the outermost layer: it drives models
(``abm``) and experiments, and nothing imports it. Listings and input errors
import only the registries (no mesa, numpy or pandas), so they answer at once.

Exit status: 0 done; 1 a failure of the system (permission, read-only or full
disk) or an internal error (one line, and where the traceback was written);
2 a mistake in the input (the flag, file or key is named, nothing is written);
130 interrupted (Ctrl-C; nothing is written).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
import traceback
import unicodedata
from pathlib import Path

from environment.settings import InputError, levers, run_options
from environment.targets import PLAN_ADOPTED
from experiments import backends
from experiments.cli_options import backend_options, chosen_backend, run_option, uncertainty_options, whole_number
from experiments.docs_tables import (
    _as_text,
    lever_records,
    levers_markdown,
    levers_text,
    parameter_records,
    parameters_markdown,
    range_text,
)
from experiments.uncertainty import DEFAULT_POINTS

EXIT_FAILURE, EXIT_USAGE, EXIT_INTERRUPTED = 1, 2, 130
MAX_REPLICATES = 100


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except InputError as e:  # a scenario file, setting, flag or output folder the user gave
        print(f"abm: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("abm: interrupted; nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # the system refused: permissions, a read-only or full disk
        where = f" ({e.filename})" if e.filename else ""
        print(f"abm: failed: {e.strerror or e}{where}; nothing written", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as e:
        if getattr(args, "debug", False):
            raise
        print(f"abm: internal error: {type(e).__name__}: {e}; {_save_traceback()}", file=sys.stderr)
        return EXIT_FAILURE


def _save_traceback() -> str:
    """Write the current traceback to a file and say where (or that it could not be written)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    try:
        fd, path = tempfile.mkstemp(prefix=f"abm-traceback-{stamp}-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(traceback.format_exc())
        return f"full traceback in {path} (or rerun with --debug)"
    except OSError:
        return "rerun with --debug for the full traceback"


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (Chinese characters take two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - columns, 0)


class ArgumentError(InputError):
    """A command-line flag with a value it cannot take."""

    def __init__(self, flag: str, value: object, allowed: str) -> None:
        from environment.settings import shown

        super().__init__(f"{flag} = {shown(value)}: {allowed}")


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: ``abm: error: <what>`` and exit status 2."""

    def error(self, message: str):
        self.exit(EXIT_USAGE, f"abm: error: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    parser = Parser(prog="abm", description="Migration simulator of Haimen's 2022 population plan.")
    parser.add_argument("--debug", action="store_true", help="show the full traceback of an internal error")
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run a scenario: write yearly tables (Parquet) and plots, print the target table")
    p.add_argument("scenario", help="scenario file, or the name of a built-in one (e.g. baseline, plan)")
    _run_options(p)
    p.add_argument("--years", help="first:last year, e.g. 2020:2035 (default: the scenario's)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a lever or parameter")
    _out_options(p, "results/<scenario> (with -seedS/-scaleK when those differ from the scenario's)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true", help="print only the target table")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("levers", help="list the policy levers (one per plan measure item)")
    _format_options(p)
    p.set_defaults(func=cmd_levers)

    p = sub.add_parser("parameters", help="list the uncertain parameters with their ranges and sources")
    _format_options(p)
    p.set_defaults(func=cmd_parameters)

    p = sub.add_parser("scenarios", help="list the built-in scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("new-scenario", help="write a commented scenario file to edit (never over an existing file)")
    p.add_argument("file", type=Path, help="the new file, e.g. my_plan.toml (its name names the scenario)")
    p.add_argument(
        "--base",
        default="baseline",
        help="the scenario it starts from (default baseline: every lever as in 2020; e.g. plan)",
    )
    p.set_defaults(func=cmd_new_scenario)

    p = sub.add_parser("attribute", help="what each measure group delivers, from paired runs on the same draws")
    p.add_argument("scenario", help="scenario file or name (usually: plan)")
    _run_options(p)
    p.add_argument(
        "--replicates", type=whole_number(1, MAX_REPLICATES), default=2, help="paired seeds per variant (default 2)"
    )
    p.add_argument(
        "--end",
        type=whole_number(PLAN_ADOPTED, run_options()["end"].high),
        help="last year counted (default: the population target's year, 2025)",
    )
    uncertainty_options(
        p,
        0,
        "also attribute at the central values and at N recalibrated uncertainty points, with ranks "
        "(default %(default)s)",
    )
    backend_options(p, jobs=-1)
    _out_options(p, "results/<scenario>-attribution, or …-attribution-uncertainty with --uncertainty-points")
    p.set_defaults(func=cmd_attribute)

    p = sub.add_parser("calibrate", help="refit the free constants: the 2010→2020 backcast reproduces the 2020 census")
    p.add_argument("--scale", type=run_option("scale", "--scale"), default=10, help="people per agent (default 10)")
    p.add_argument("--seeds", type=_seed_list, default=(1, 2, 3), help="comma-separated seeds (default 1,2,3)")
    backend_options(p, jobs=-1)
    p.add_argument("--dry-run", action="store_true", help="fit and print, but do not write")
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser(
        "backcast", help="run the model from the 2010 census to 2020 and compare it with the 2020 census (Markdown)"
    )
    p.add_argument("--scale", type=run_option("scale", "--scale"), default=10, help="people per agent (default 10)")
    p.add_argument("--seeds", type=_seed_list, default=(1, 2, 3), help="comma-separated seeds (default 1,2,3)")
    uncertainty_options(
        p, 0, "also a parameter band: N recalibrated Latin-hypercube points, one seed each (default %(default)s)"
    )
    backend_options(p, jobs=-1)
    _out_options(p, "results/backcast")
    p.set_defaults(func=cmd_backcast)

    p = sub.add_parser("validate", help="compare a baseline run with every sourced fact (Markdown report)")
    p.add_argument("--scale", type=run_option("scale", "--scale"), default=10, help="people per agent (default 10)")
    p.add_argument("--seeds", type=_seed_list, default=(1, 2, 3), help="comma-separated seeds (default 1,2,3)")
    p.add_argument("--end", type=run_option("end", "--end"), default=2035, help="last year (default 2035)")
    uncertainty_options(
        p,
        DEFAULT_POINTS,
        "Latin-hypercube points of the parameter band, each recalibrated (default %(default)s; 0: seeds only)",
    )
    backend_options(p, jobs=-1)
    _out_options(p, "results/validation")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("serve", help="start the web demo (a Solara page of the Mesa model) for a browser")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=whole_number(1, 65535), default=8765, help="port (default 8765)")
    p.set_defaults(func=cmd_serve)

    from experiments.workbench_cli import register  # sweep, query, compare, sensitivity

    register(sub)
    return parser


def _version() -> str:
    """The installed package's version (``abm.__version__``, from pyproject.toml)."""
    from abm import __version__

    return __version__


def _seed_list(text: str) -> tuple[int, ...]:
    """An argparse type for ``--seeds 1,2,3``: seeds, each once, no empty item (``1,,2`` is a typo, not 1,2)."""
    seed = run_option("seed", "--seeds")
    parts = [s.strip() for s in text.split(",")]
    if "" in parts:
        raise argparse.ArgumentTypeError(f"{text!r}: comma-separated seeds with no empty item, e.g. 1,2,3")
    seeds = tuple(seed(s) for s in parts)
    if len(set(seeds)) < len(seeds):
        raise argparse.ArgumentTypeError(f"{text!r}: each seed once, e.g. 1,2,3")
    return seeds


def _check_uncertainty(args) -> None:
    """A bad ``--uncertainty`` sweep file is refused before any run (when points are asked for)."""
    from experiments.sweep import load as load_sweep

    if args.uncertainty_points:
        load_sweep(args.uncertainty)


def _out_options(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--out",
        type=Path,
        help=f"output folder (default: {default}); only an absent or empty folder or an earlier result of this tool",
    )
    p.add_argument(
        "--replace", action="store_true", help="replace an earlier result of this tool even if another scenario made it"
    )


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", type=run_option("scale", "--scale"), help="people per agent (default: the scenario's)")
    p.add_argument(
        "--seed", type=run_option("seed", "--seed"), help="seed of the random streams (default: the scenario's)"
    )


def _format_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print JSON (a list of objects)")
    group.add_argument("--markdown", action="store_true", help="print a Markdown table (the docs page)")


def _say(args, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def parse_overrides(pairs: list[str]) -> dict[str, object]:
    """``--set key=value`` pairs as settings by key (a lever's or parameter's name in Chinese or English is taken
    for its key); values are read as TOML (numbers, true/false, "never")."""
    import tomllib

    from environment.settings import lookup

    out: dict[str, object] = {}
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise ArgumentError("--set", pair, "KEY=VALUE, e.g. --set rent_subsidy=800")
        key = lookup(name.strip(), where="--set").key
        try:
            value = tomllib.loads(f"v = {text.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            value = text.strip()
        if key in out:
            raise ArgumentError("--set", pair, f"{key} is set twice: set each lever or parameter once")
        out[key] = value
    return out


def default_run_folder(scenario, results_dir: Path, scale: int | None, seed: int | None) -> Path:
    """``results/<scenario>``, with ``-seedS`` / ``-scaleK`` when the run's differ from the scenario file's."""
    suffix = "".join(f"-{name}{value}" for name, value in (("seed", seed), ("scale", scale)) if value is not None)
    return results_dir / f"{scenario.name}{suffix}"


def cmd_run(args) -> int:
    from environment import scenario as sc
    from environment.settings import check_setting

    scenario = sc.load(args.scenario)
    changed_seed = args.seed if args.seed is not None and args.seed != scenario.seed else None
    changed_scale = args.scale if args.scale is not None and args.scale != scenario.scale else None
    scenario = scenario.with_run(scale=args.scale, seed=args.seed, years=args.years)
    overrides = {k: check_setting(k, v, where="--set") for k, v in parse_overrides(args.set).items()}
    settings = {**scenario.settings, **overrides}

    from experiments.attainment import attainment, format_table
    from experiments.eligibility import few_agents
    from experiments.output_folders import staged
    from experiments.plots import plot_run
    from experiments.runner import RunSpec
    from experiments.store import RESULTS_DIR, fill_run, run_manifest

    out = args.out if args.out is not None else default_run_folder(scenario, RESULTS_DIR, changed_scale, changed_seed)
    identity = run_manifest(
        {
            "scenario": scenario.name,
            "source": scenario.source,
            "scale": scenario.scale,
            "seed": scenario.seed,
            "years": [scenario.start, scenario.end],
        }
    )
    with staged(out, "run", identity, replace=args.replace, say=lambda line: _say(args, line)) as folder:
        for line in few_agents(settings, scenario.scale, scenario.seed, compared=[{}, settings]):
            print(line, file=sys.stderr)
        spec = RunSpec(settings, scale=scenario.scale, seed=scenario.seed, end=scenario.end, label=scenario.name)
        started = time.perf_counter()
        model = spec.model()
        _say(
            args,
            f"{scenario.name}: {len(model.population.persons):,} agents for "
            f"{model.summary['haimen_population']:,.0f} people (1:{scenario.scale}), seed {scenario.seed}, "
            f"{scenario.start}–{scenario.end}",
        )
        while model.running:
            model.step()
            s = model.summary
            _say(
                args, f"  {model.year}: {s['haimen_population']:,.0f} people, net migration {s['net_migration']:+,.0f}"
            )
        tables = model.tables()
        elapsed = time.perf_counter() - started
        table = attainment(tables["yearly"])
        identity |= {  # recorded in the folder's marker when it is committed
            "description": scenario.description,
            "settings": settings,
            "seconds": round(elapsed, 2),
            "command": " ".join(["abm", *sys.argv[1:]]),
        }
        fill_run(folder, tables, _scenario_toml(scenario, settings))
        table.to_csv(folder / "targets.csv", index=False)
        if not args.no_plots:
            plot_run(tables["yearly"], tables["summary"], folder / "plots", scenario.name)
    print(
        format_table(table, title=f"Plan targets — scenario {scenario.name} (1:{scenario.scale}, seed {scenario.seed})")
    )
    _say(args, f"results in {Path(out).resolve()} ({elapsed:.1f} s)")
    return 0


def _scenario_toml(scenario, settings: dict) -> dict:
    """The run as a scenario file that reproduces it (``"never"`` for a project that does not open)."""
    from environment.settings import NEVER

    lever_keys = set(levers())
    values = {k: NEVER if v is None else v for k, v in settings.items()}
    return {
        "name": scenario.name,
        "description": scenario.description,
        "run": {"scale": scenario.scale, "seed": scenario.seed, "years": f"{scenario.start}:{scenario.end}"},
        "levers": {k: v for k, v in values.items() if k in lever_keys},
        "parameters": {k: v for k, v in values.items() if k not in lever_keys},
    }


def cmd_levers(args) -> int:
    records = lever_records()
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
    elif args.markdown:
        print(levers_markdown(records))
    else:
        print(levers_text(records))
    return 0


def cmd_parameters(args) -> int:
    records = parameter_records()
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
    elif args.markdown:
        print(parameters_markdown(records))
    else:
        print(f"{'key':<30} {'group':<11} {'default':>10} {'range':<17} unit")
        for r in records:
            flag = " (calibrated)" if r["calibrated"] else ""
            line = f"{r['key']:<30} {r['group']:<11} {_as_text(r['default'], r['unit']):>10} {range_text(r, '–')}"
            print((line + " ").ljust(70) + f"{r['unit']}{flag}")
    return 0


def cmd_scenarios(args) -> int:
    from environment.scenario import all_scenarios, load

    for path in all_scenarios():
        s = load(path)
        print(f"{s.name:<30} {s.description}")
    return 0


def cmd_new_scenario(args) -> int:
    from environment.scenario import load, template
    from experiments.output_folders import write_text_atomic

    path = write_text_atomic(args.file, template(args.file, args.base), new=True)
    load(path)  # what was written is a valid scenario
    print(f"wrote {args.file}: {args.base} as it stands; uncomment and change what differs", file=sys.stderr)
    return 0


def cmd_attribute(args) -> int:
    from environment import scenario as sc

    scenario = sc.load(args.scenario).with_run(scale=args.scale, seed=args.seed)
    if args.end is not None and args.end > scenario.end:
        raise ArgumentError("--end", args.end, f"a year from {PLAN_ADOPTED} to the scenario's last year {scenario.end}")

    from experiments import attribution
    from experiments.output_folders import staged
    from experiments.store import RESULTS_DIR

    _check_uncertainty(args)
    backend = chosen_backend(args)
    folder = f"{scenario.name}-attribution" + ("-uncertainty" if args.uncertainty_points else "")
    out = args.out if args.out is not None else RESULTS_DIR / folder
    identity = {"scenario": scenario.name, "source": scenario.source, "scale": scenario.scale, "seed": scenario.seed}
    started = time.perf_counter()
    last = args.end or attribution.targets()["population"].year
    with (
        staged(out, "attribution", identity, replace=args.replace, say=lambda line: print(line, file=sys.stderr)) as f,
        backends.using(backend),
    ):
        if args.uncertainty_points:
            chosen, across = attribution.attribute_across(
                scenario,
                args.uncertainty_points,
                args.uncertainty,
                replicates=args.replicates,
                end=args.end,
                refit_scale=args.refit_scale,
                n_jobs=args.jobs,
            )
            ranking = attribution.ranking(across)
            text = attribution.format_ranking(chosen, ranking, scenario.name, args.replicates, last)
            across.to_csv(f / "attribution-by-member.csv", index=False)
            ranking.to_csv(f / "ranking.csv", index=False)
            chosen.values.to_csv(f / "members.csv", index=False)
            (f / "ranking.md").write_text(text, encoding="utf-8")
        else:
            table, runs = attribution.attribute(scenario, replicates=args.replicates, end=args.end, n_jobs=args.jobs)
            text = attribution.format_table(table, scenario.name, args.replicates, PLAN_ADOPTED, last)
            table.to_csv(f / "attribution.csv", index=False)
            runs.to_csv(f / "runs.csv", index=False)
            attribution.plot(table, f / "attribution.png", scenario.name)
            (f / "attribution.txt").write_text(text + "\n", encoding="utf-8")
    print(text)
    print(f"results in {Path(out).resolve()} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


def cmd_serve(args) -> int:
    from abm.web.serve import serve

    return serve(args.host, args.port, say=lambda line: print(line, file=sys.stderr, flush=True))


def cmd_calibrate(args) -> int:
    from experiments import calibrate

    with backends.using(chosen_backend(args)):
        record = calibrate.calibrate(
            scale=args.scale, seeds=args.seeds, n_jobs=args.jobs, log=lambda text: print(text, file=sys.stderr)
        )
    print(json.dumps(record, indent=1))
    if not args.dry_run:
        calibrate.write(record)
        print("wrote environment/data/calibration.toml", file=sys.stderr)
    return 0


def cmd_backcast(args) -> int:
    import pandas as pd

    from environment.scenario import load as load_scenario
    from experiments.backcast import END, START
    from experiments.output_folders import staged
    from experiments.store import RESULTS_DIR
    from experiments.uncertainty import members
    from experiments.validation.backcast import backcast_check, backcast_section, by_age, by_place

    _check_uncertainty(args)
    backend = chosen_backend(args)
    out = args.out if args.out is not None else RESULTS_DIR / "backcast"
    identity = {"scenario": "baseline", "scale": args.scale, "seeds": list(args.seeds), "years": [START, END]}
    identity |= {"uncertainty_points": args.uncertainty_points} if args.uncertainty_points else {}
    started = time.perf_counter()
    with (
        staged(out, "backcast", identity, replace=args.replace, say=lambda line: print(line, file=sys.stderr)) as f,
        backends.using(backend),
    ):
        points = args.uncertainty_points
        chosen = members(points, args.uncertainty, args.refit_scale) if points else None
        check = backcast_check(load_scenario("baseline").settings, args.scale, args.seeds, chosen, n_jobs=args.jobs)
        header = [
            f"# Backcast {START} → {END}",
            "",
            f"scenario: baseline, scale: 1:{args.scale}, seeds: {','.join(map(str, args.seeds))}, "
            f"command: abm {' '.join(sys.argv[1:])}",
            "",
        ]
        section = backcast_section(check)
        (f / "backcast.md").write_text("\n".join(header + section) + "\n", encoding="utf-8")
        check.table.to_csv(f / "backcast.csv", index=False)
        runs = [s.assign(seed=seed) for s, seed in zip(check.summaries, args.seeds, strict=True)]
        pd.concat(runs, ignore_index=True).to_csv(f / "summary.csv", index=False)
        ages = [a.assign(seed=seed) for a, seed in zip(check.ages, args.seeds, strict=True)]
        pd.concat(ages, ignore_index=True).to_csv(f / "ages.csv", index=False)
        check.cohort[0].to_csv(f / "cohort_component.csv", index=False)
        check.cohort[1].to_csv(f / "cohort_component_ages.csv", index=False)
        by_age(check).to_csv(f / "by_age.csv", index=False)
        by_place(check).to_csv(f / "by_place.csv", index=False)
    print("\n".join(line for line in section if line.startswith("|")))
    print(f"report in {Path(out).resolve() / 'backcast.md'} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


def cmd_validate(args) -> int:
    from experiments import validate
    from experiments.output_folders import staged
    from experiments.store import RESULTS_DIR

    _check_uncertainty(args)
    backend = chosen_backend(args)
    out = args.out if args.out is not None else RESULTS_DIR / "validation"
    identity = {"scenario": "baseline", "scale": args.scale, "seeds": list(args.seeds), "end": args.end}
    started = time.perf_counter()
    with (
        staged(out, "validation", identity, replace=args.replace, say=lambda line: print(line, file=sys.stderr)) as f,
        backends.using(backend),
    ):
        result = validate.validate(
            scale=args.scale,
            seeds=args.seeds,
            end=args.end,
            n_jobs=args.jobs,
            uncertainty_points=args.uncertainty_points,
            uncertainty=args.uncertainty,
            refit_scale=args.refit_scale,
        )
        (f / "validation.md").write_text(result.markdown, encoding="utf-8")
        result.table.to_csv(f / "validation.csv", index=False)
        result.backcast.table.to_csv(f / "backcast.csv", index=False)
    print(f"report in {Path(out).resolve() / 'validation.md'} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
