"""The ``abm`` command line: run scenarios, list levers and parameters, attribute, calibrate.

User errors (a bad scenario file, an unknown lever, a value out of range)
print one line naming the file, key, value and what is allowed, write nothing,
and exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import unicodedata
from pathlib import Path

from environment.settings import SettingError, levers, parameters

EXIT_USAGE = 2


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except (SettingError, ValueError) as e:  # ScenarioError, SettingError and the model's argument checks
        print(f"abm: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (Chinese characters take two)."""
    columns = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - columns, 0)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="abm", description="Migration simulator of Haimen's 2022 population plan.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run a scenario: write yearly tables (Parquet) and plots, print the target table")
    p.add_argument("scenario", help="scenario file, or the name of one in experiments/scenarios (e.g. baseline, plan)")
    _run_options(p)
    p.add_argument("--years", help="first:last year, e.g. 2020:2035 (default: the scenario's)")
    p.add_argument("--out", type=Path, help="output folder (default: results/<scenario name>)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true", help="print only the target table")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("levers", help="list the policy levers (one per plan measure item)")
    _format_options(p)
    p.set_defaults(func=cmd_levers)

    p = sub.add_parser("parameters", help="list the uncertain parameters with their ranges and sources")
    _format_options(p)
    p.set_defaults(func=cmd_parameters)

    p = sub.add_parser("scenarios", help="list the named scenarios in experiments/scenarios")
    p.set_defaults(func=cmd_scenarios)

    p = sub.add_parser("attribute", help="what each measure group delivers, from paired runs on the same draws")
    p.add_argument("scenario", help="scenario file or name (usually: plan)")
    _run_options(p)
    p.add_argument("--replicates", type=int, default=2, help="paired seeds per variant (default 2)")
    p.add_argument("--end", type=int, help="last year counted (default: the population target's year, 2025)")
    p.add_argument("--jobs", type=int, default=-1, help="parallel processes (default: all cores)")
    p.add_argument("--out", type=Path, help="output folder (default: results/<scenario>-attribution)")
    p.set_defaults(func=cmd_attribute)

    p = sub.add_parser("calibrate", help="refit the free constants to 2010–2020 history (writes calibration.toml)")
    p.add_argument("--scale", type=int, default=10, help="people per agent (default 10)")
    p.add_argument("--seeds", default="1,2,3", help="comma-separated seeds (default 1,2,3)")
    p.add_argument("--jobs", type=int, default=-1, help="parallel processes (default: all cores)")
    p.add_argument("--dry-run", action="store_true", help="fit and print, but do not write")
    p.set_defaults(func=cmd_calibrate)

    from experiments.workbench_cli import register  # sweep, query, compare, sensitivity

    register(sub)
    return parser


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scale", type=int, help="people per agent, 1 to 1000 (default: the scenario's)")
    p.add_argument("--seed", type=int, help="seed of the random streams (default: the scenario's)")


def _format_options(p: argparse.ArgumentParser) -> None:
    group = p.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print JSON (a list of objects)")
    group.add_argument("--markdown", action="store_true", help="print a Markdown table (the docs page)")


def _say(args, text: str) -> None:
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def cmd_run(args) -> int:
    from experiments import scenario as sc
    from experiments.attainment import attainment, format_table
    from experiments.plots import plot_run
    from experiments.runner import RunSpec
    from experiments.store import RESULTS_DIR, write_run

    scenario = sc.load(args.scenario).with_run(scale=args.scale, seed=args.seed, years=args.years)
    out = args.out or RESULTS_DIR / scenario.name
    spec = RunSpec(scenario.settings, scale=scenario.scale, seed=scenario.seed, end=scenario.end, label=scenario.name)
    started = time.perf_counter()
    model = spec.model()
    _say(
        args,
        f"{scenario.name}: {len(model.population.persons):,} agents for {model.haimen_population:,.0f} people "
        f"(1:{scenario.scale}), seed {scenario.seed}, {scenario.start}–{scenario.end}",
    )
    while model.running:
        model.step()
        _say(args, f"  {model.year}: {model.haimen_population:,.0f} people, net migration {model.net_migration:+,.0f}")
    tables = model.tables()
    elapsed = time.perf_counter() - started
    table = attainment(tables["yearly"])
    manifest = {
        "scenario": scenario.name,
        "description": scenario.description,
        "source": scenario.source,
        "scale": scenario.scale,
        "seed": scenario.seed,
        "years": [scenario.start, scenario.end],
        "settings": scenario.settings,
        "seconds": round(elapsed, 2),
        "command": " ".join(["abm", *sys.argv[1:]]),
    }

    def extra(folder: Path) -> None:
        table.to_csv(folder / "targets.csv", index=False)
        if not args.no_plots:
            plot_run(tables["yearly"], tables["summary"], folder / "plots", scenario.name)

    written = write_run(out, tables, manifest, _scenario_toml(scenario), extra=extra)
    print(
        format_table(table, title=f"Plan targets — scenario {scenario.name} (1:{scenario.scale}, seed {scenario.seed})")
    )
    _say(args, f"results in {written} ({elapsed:.1f} s)")
    return 0


def _scenario_toml(scenario) -> dict:
    lever_keys = set(levers())
    return {
        "name": scenario.name,
        "description": scenario.description,
        "run": {"scale": scenario.scale, "seed": scenario.seed, "years": f"{scenario.start}:{scenario.end}"},
        "levers": {k: v for k, v in scenario.settings.items() if k in lever_keys},
        "parameters": {k: v for k, v in scenario.settings.items() if k not in lever_keys},
    }


def lever_records() -> list[dict]:
    """The lever registry as plain records (what ``abm levers --json`` prints)."""
    return [
        {
            "key": lv.key,
            "measure": lv.measure,
            "items": list(lv.items),
            "name_zh": lv.name_zh,
            "name_en": lv.name_en,
            "description_zh": lv.description_zh,
            "description_en": lv.description_en,
            "unit": lv.unit,
            "type": lv.kind,
            "min": lv.low,
            "max": lv.high,
            "baseline": lv.baseline,
            "plan": lv.plan,
            "plan_basis": lv.plan_basis,
            "modelled": lv.modelled,
            "reason": lv.reason,
        }
        for lv in levers().values()
    ]


def parameter_records() -> list[dict]:
    """The parameter registry as plain records (what ``abm parameters --json`` prints)."""
    return [
        {
            "key": p.key,
            "group": p.group,
            "name_en": p.name_en,
            "name_zh": p.name_zh,
            "unit": p.unit,
            "type": p.kind,
            "default": p.default,
            "min": p.low,
            "max": p.high,
            "calibrated": p.calibrated,
            "basis": p.basis,
        }
        for p in parameters().values()
    ]


def cmd_levers(args) -> int:
    records = lever_records()
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
    elif args.markdown:
        print(levers_markdown(records))
    else:
        print(f"{'key':<26} {'m':>2} {'unit':<16} {'range':<14} {'baseline':>9} {'plan':>9}  name")
        for r in records:
            rng = "" if r["type"] == "bool" else f"{r['min']:g}–{r['max']:g}"
            note = "" if r["modelled"] else "  [not modelled]"
            print(
                f"{r['key']:<26} {r['measure']:>2} {r['unit'][:16]:<16} {rng:<14} {_v(r['baseline'], r['unit']):>9} "
                f"{_v(r['plan'], r['unit']):>9}  {r['name_en']} / {r['name_zh']}{note}"
            )
    return 0


def levers_markdown(records: list[dict]) -> str:
    """The docs page of levers (docs/levers.md), generated from the registry."""
    lines = [
        "# Policy levers",
        "",
        "Generated by `abm levers --markdown` from `environment/data/levers.toml`; do not edit by hand.",
        "",
        "| key | measure | items | lever | unit | range | baseline | plan | plan value from |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in records:
        rng = "true/false" if r["type"] == "bool" else f"{r['min']:g} – {r['max']:g}"
        name = f"{r['name_en']}<br>{r['name_zh']}" + ("" if r["modelled"] else f"<br>**not modelled**: {r['reason']}")
        items = ", ".join(map(str, r["items"]))
        lines.append(
            f"| `{r['key']}` | {r['measure']} | {items} | {name} | {r['unit']} | {rng} "
            f"| {_v(r['baseline'], r['unit'])} | {_v(r['plan'], r['unit'])} | {r['plan_basis']} |"
        )
    return "\n".join(lines)


def _v(value, unit: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if unit == "year":
        return str(value)
    return f"{value:g}" if isinstance(value, float) else f"{value:,}" if isinstance(value, int) else str(value)


def cmd_parameters(args) -> int:
    records = parameter_records()
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=1))
    elif args.markdown:
        lines = [
            "# Uncertain parameters",
            "",
            "Generated by `abm parameters --markdown` from `environment/data/parameters.toml`.",
            "",
            "| key | group | meaning | unit | default | range | basis |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in records:
            lines.append(
                f"| `{r['key']}` | {r['group']} | {r['name_en']}<br>{r['name_zh']} | {r['unit']} | "
                f"{_v(r['default'])} | {r['min']:g} – {r['max']:g} | {r['basis']} |"
            )
        print("\n".join(lines))
    else:
        print(f"{'key':<30} {'group':<11} {'default':>10} {'range':<17} unit")
        for r in records:
            flag = " (calibrated)" if r["calibrated"] else ""
            line = f"{r['key']:<30} {r['group']:<11} {_v(r['default'], r['unit']):>10} {r['min']:g}–{r['max']:g}"
            print(line.ljust(70) + f"{r['unit']}{flag}")
    return 0


def cmd_scenarios(args) -> int:
    from experiments.scenario import all_scenarios, load

    for path in all_scenarios():
        s = load(path)
        print(f"{s.name:<30} {s.description}")
    return 0


def cmd_attribute(args) -> int:
    from experiments import attribution
    from experiments import scenario as sc
    from experiments.store import RESULTS_DIR, write_atomically

    if args.replicates < 1 or args.replicates > 50:
        raise sc.ScenarioError("--replicates", "replicates", args.replicates, "a whole number from 1 to 50")
    scenario = sc.load(args.scenario).with_run(scale=args.scale, seed=args.seed)
    end = args.end or None
    if end is not None and not 2022 <= end <= scenario.end:
        raise sc.ScenarioError("--end", "end", end, f"a year from 2022 to {scenario.end}")
    started = time.perf_counter()
    table, runs = attribution.attribute(scenario, replicates=args.replicates, end=end, n_jobs=args.jobs)
    last = end or attribution.targets()["population"].year
    text = attribution.format_table(table, scenario.name, args.replicates, attribution.PLAN_ADOPTED, last)
    out = args.out or RESULTS_DIR / f"{scenario.name}-attribution"

    def fill(folder: Path) -> None:
        table.to_csv(folder / "attribution.csv", index=False)
        runs.to_csv(folder / "runs.csv", index=False)
        attribution.plot(table, folder / "attribution.png", scenario.name)
        (folder / "attribution.txt").write_text(text + "\n", encoding="utf-8")

    written = write_atomically(out, fill)
    print(text)
    print(f"results in {written} ({time.perf_counter() - started:.0f} s)", file=sys.stderr)
    return 0


def cmd_calibrate(args) -> int:
    from experiments import calibrate
    from experiments.scenario import ScenarioError

    try:
        seeds = tuple(int(s) for s in args.seeds.split(","))
    except ValueError:
        raise ScenarioError("--seeds", "seeds", args.seeds, "comma-separated whole numbers, e.g. 1,2,3") from None
    record = calibrate.calibrate(
        scale=args.scale, seeds=seeds, n_jobs=args.jobs, log=lambda text: print(text, file=sys.stderr)
    )
    print(json.dumps(record, indent=1))
    if not args.dry_run:
        calibrate.write(record)
        print("wrote environment/data/calibration.toml", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
