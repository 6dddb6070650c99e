"""Performance benchmark (issue 11): writes benchmarks/RESULTS.md.

Everything is measured in one run, so ratios compare like with like:

1. the yearly residence choice as a naive Mesa model (one agent per household,
   per-agent ``step()``) against the project's vectorized ``choose``, on a real
   model state resampled to 10k and 100k households: speed-up, and a χ² test that
   both give the same choice shares (``benchmarks/naive.py``);
2. scale: time per simulated year, setup and peak memory at 1:1000 … 1:1, each run
   2020–2035 in a fresh process, the fitted exponent of time against population,
   and the goals; with ``--baseline-commit`` the same runs of that commit (a
   temporary git worktree, this venv; run with today's parameter values, so
   both simulate the same model), interleaved with today's;
3. the choice kernel per decider and alternative against the bare numpy floor
   (``benchmarks/kernel.py``);
4. where a 1:1 year's time goes, stage by stage (the stages ``MigrationModel.STAGES``
   declares, timed on the instance by ``benchmarks/child.py``);
5. the shadow-price rounds of the capacity-limited choices: how many each year
   runs, and the time of the same runs with none (a what-if, not the model).

    .venv/bin/python benchmarks/run.py                       # the full measurement (quiet machine; ~4 min on 2 cores)
    .venv/bin/python benchmarks/run.py --baseline-commit SHA # also that commit's runs, and the ratios (~twice part 2)
    .venv/bin/python benchmarks/run.py --quick --out /tmp/RESULTS.md   # small scales, one repeat (smoke test)
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.kernel import KernelRow, kernel_rows  # noqa: E402
from benchmarks.machine import machine  # noqa: E402
from benchmarks.naive import ShareTest, SpeedRow, capture, compare, resample, share_test  # noqa: E402

# Goals of issue 11 (the 1:1 run is 2020–2035).
GOAL_SPEEDUP, GOAL_EXPONENT, GOAL_KERNEL_RATIO = 30.0, 1.1, 3.0
GOAL_RUN_S, GOAL_PEAK_MB, GOAL_YEAR_100_S, GOAL_SETUP_S = 8.0, 1024.0, 0.015, 1.0


@dataclass
class Config:
    """What one invocation measures."""

    scales: list[int]
    repeats: dict[int, int]  # runs per scale
    end: int
    plan: bool  # also one plan-scenario run at 1:1 and 1:100
    households: list[int]  # sizes of the naive/vectorized comparison
    naive_repeats: int
    state_scale: int  # the model state the choice problems are resampled from
    kernel_households: int
    kernel_repeats: int


FULL = Config(
    scales=[1000, 100, 10, 1],
    repeats={1000: 5, 100: 5, 10: 3, 1: 3},
    end=2035,
    plan=True,
    households=[10_000, 100_000],
    naive_repeats=3,
    state_scale=10,
    kernel_households=100_000,
    kernel_repeats=5,
)
QUICK = Config(
    scales=[1000, 100],
    repeats={1000: 1, 100: 1},
    end=2023,
    plan=False,
    households=[10_000],
    naive_repeats=1,
    state_scale=100,
    kernel_households=10_000,
    kernel_repeats=3,
)


# ----------------------------------------------------------------------------- part 2: model runs
def measure(
    scale: int, end: int, tree: Path = ROOT, scenario: str = "baseline", pinned: str = "", options: tuple = ()
) -> dict:
    """One run 2020–``end`` at 1:``scale`` in a fresh process (``benchmarks/child.py``), with the model of ``tree``.

    ``pinned`` (JSON) sets parameter values, e.g. today's defaults in an older commit's run; ``options`` are the
    child's (``--count-rounds``, ``--shadow-price-rounds N``: see part 5). ``tree`` comes first on the path, this
    tree after it, so an older commit's run uses this tree's child (``benchmarks`` is a namespace package).
    """
    env = os.environ | {"PYTHONPATH": os.pathsep.join(dict.fromkeys([str(tree), str(ROOT)]))}
    pinning = ("--pinned", pinned) if pinned else ()
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.child", str(scale), str(end), scenario, *pinning, *options],
        capture_output=True,
        text=True,
        cwd=tree,
        env=env,
    )
    if out.returncode:
        raise RuntimeError(f"run at 1:{scale} in {tree} failed:\n{out.stderr[-2000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if not Path(result["package"]).resolve().is_relative_to(tree.resolve()):
        raise RuntimeError(f"the run in {tree} imported the model from {result['package']}")
    return result


@contextlib.contextmanager
def worktree_at(commit: str) -> Iterator[Path]:
    """A temporary detached git worktree of ``commit``, removed afterwards."""
    parent = Path(tempfile.mkdtemp(prefix="bench-baseline-"))
    tree = parent / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), commit], cwd=ROOT, check=True, capture_output=True)
    try:
        yield tree
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, capture_output=True)
        shutil.rmtree(parent, ignore_errors=True)


@dataclass
class ScaleRuns:
    """The runs at one scale: today's, and the baseline commit's if any."""

    scale: int
    runs: list[dict]
    baseline: list[dict] = field(default_factory=list)


def todays_parameters() -> str:
    """Today's default value of every parameter (JSON), so an older commit runs the same model settings.

    Without this, a changed default (e.g. a central value moved on new evidence) would make the older
    commit simulate a different population and the ratio would compare different work.
    """
    from environment.settings import parameters

    return json.dumps({k: p.default for k, p in parameters().items()})


def run_scales(config: Config, baseline: Path | None) -> list[ScaleRuns]:
    """Every scale's runs, today's and the baseline's interleaved (so both meet the same machine load)."""
    pinned = todays_parameters()
    out = []
    for scale in config.scales:
        found = ScaleRuns(scale, [])
        for _ in range(config.repeats.get(scale, 1)):
            found.runs.append(measure(scale, config.end))
            if baseline is not None:
                try:
                    found.baseline.append(measure(scale, config.end, tree=baseline, pinned=pinned))
                except RuntimeError as error:  # an older model the child cannot drive: today's figures only
                    print(f"  baseline commit not measurable, skipped: {error}", flush=True)
                    baseline = None
        out.append(found)
        print(f"  1:{scale}: {median([mean_step(r) for r in found.runs]) * 1e3:.1f} ms a year", flush=True)
    return out


def mean_step(run: dict) -> float:
    return float(np.mean(run["steps"]))


def median(values: list[float]) -> float:
    return float(np.median(values))


def exponent(scales: list[ScaleRuns]) -> tuple[float, float]:
    """Slope of log(time per year) on log(person rows) over all scales, and between the two largest."""
    if len(scales) < 2:
        return float("nan"), float("nan")
    people = np.log([np.mean([r["persons_start"] for r in s.runs]) for s in scales])
    seconds = np.log([median([mean_step(r) for r in s.runs]) for s in scales])
    order = np.argsort(people)
    slope = float(np.polyfit(people, seconds, 1)[0])
    top, second = order[-1], order[-2]
    return slope, float((seconds[top] - seconds[second]) / (people[top] - people[second]))


# ----------------------------------------------------------------------------- report
def fmt_range(values: list[float], digits: int = 2) -> str:
    low, high = min(values), max(values)
    return (
        f"{low:.{digits}f}"
        if len(values) == 1 or f"{low:.{digits}f}" == f"{high:.{digits}f}"
        else (f"{low:.{digits}f} – {high:.{digits}f}")
    )


def met(ok: bool | None) -> str:
    return "" if ok is None else ("yes" if ok else "**no**")


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *("| " + " | ".join(r) + " |" for r in rows)]


def commit(ref: str = "HEAD") -> str:
    """Short SHA of ``ref`` (HEAD: marked if tracked files other than the benchmark's reports changed)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], capture_output=True, text=True, cwd=ROOT).stdout.strip()
        except OSError:
            return ""

    sha = git("rev-parse", "--short", ref) or "unknown"
    reports = (":(exclude)benchmarks/*.md",)  # a previous run's report is not a change to what is measured
    if ref == "HEAD" and git("status", "--porcelain", "--untracked-files=no", "--", ".", *reports):
        sha += " (with uncommitted changes)"
    return sha


def part_naive(speed: list[SpeedRow], tests: list[ShareTest], state_scale: int) -> list[str]:
    lines = [
        "## 1. Against the naive Mesa formulation",
        "",
        f"The residence choice of 2021 in a baseline run at 1:{state_scale} (its utilities per kind, kinds, "
        "capacities and nests), resampled to the number of households shown. Naive: one `mesa.Agent` per "
        "household, `shuffle_do('step')`, each agent computing its nests' inclusive values and drawing with "
        "Mesa's `random`; capacity first come, first served (`benchmarks/naive.py`). Vectorized: `choose` as the "
        "model calls it, keyed draws included. Times are the best of the repeats.",
        "",
    ]
    rows = [
        [
            f"{r.households:,}",
            "with capacities" if r.capacities else "unconstrained",
            f"{r.naive_setup:.2f}",
            f"{r.naive_step:.3f}",
            f"{r.vectorized:.4f}",
            f"**{r.speedup:.0f}×**" if r.households >= 100_000 else f"{r.speedup:.0f}×",
            f"{100 * r.moved_naive:.1f} % / {100 * r.moved_vectorized:.1f} %",
        ]
        for r in speed
    ]
    lines += table(
        [
            "households",
            "case",
            "naive: create agents (s)",
            "naive: one year (s)",
            "vectorized (s)",
            "speed-up",
            "moved (naive / vectorized)",
        ],
        rows,
    )
    at_100k = [r.speedup for r in speed if r.households == 100_000]
    if at_100k:
        lines += [
            "",
            f"Goal: speed-up ≥ {GOAL_SPEEDUP:.0f}× at 100k households — "
            f"{min(at_100k):.0f}× ({met(min(at_100k) >= GOAL_SPEEDUP)}).",
        ]
    lines += [
        "",
        "Same choice shares? χ² test of homogeneity on the counts per alternative, naive against vectorized, "
        "unconstrained (independent draws; alternatives expected below 5 choices pooled); and each against the "
        "closed-form nested-logit probabilities (`Nests.probabilities`). Passes at p > 0.001.",
        "",
    ]
    lines += table(
        [
            "households",
            "χ²",
            "dof",
            "p (naive vs vectorized)",
            "p (naive vs formula)",
            "p (vectorized vs formula)",
            "largest share gap (pp)",
            "same shares",
        ],
        [
            [
                f"{t.households:,}",
                f"{t.chi2:.1f}",
                str(t.dof),
                f"{t.p_value:.3f}",
                f"{t.p_naive_vs_formula:.3f}",
                f"{t.p_vectorized_vs_formula:.3f}",
                f"{t.max_share_gap:.2f}",
                met(t.passed),
            ]
            for t in tests
        ],
    )
    return [*lines, ""]


def part_scale(scales: list[ScaleRuns], config: Config, plan: dict[int, dict], baseline: str | None) -> list[str]:
    slope, top_slope = exponent(scales)
    lines = [
        "## 2. Scale",
        "",
        f"Runs 2020–{config.end} (seed 1, baseline scenario), each in a fresh process; peak memory is the process's "
        "`ru_maxrss` (imports included). Medians over the runs, with the range where there are several.",
        "",
    ]
    rows = []
    for s in scales:
        runs = s.runs
        rows.append(
            [
                f"1:{s.scale}",
                str(len(runs)),
                f"{np.mean([r['persons_start'] for r in runs]):,.0f}",
                fmt_range([mean_step(r) * 1e3 for r in runs], 1),
                fmt_range([r["setup"] for r in runs], 2),
                fmt_range([r["total"] for r in runs], 2),
                f"{max(r['peak_mb'] for r in runs):,.0f}",
            ]
        )
    lines += table(
        [
            "scale",
            "runs",
            "person rows (2020)",
            "time per year (ms)",
            "setup (s)",
            f"run 2020–{config.end} (s)",
            "peak memory (MB)",
        ],
        rows,
    )
    if len(scales) < 2:
        lines += ["", "Exponent of time against population: needs two scales or more.", ""]
    else:
        lines += [
            "",
            f"Exponent of time per year against person rows (least squares on logs, all scales): **{slope:.2f}**; "
            f"between the two largest scales: {top_slope:.2f} (goal ≤ {GOAL_EXPONENT}: "
            f"{met(top_slope <= GOAL_EXPONENT)} on the largest pair). Fixed per-year costs (utilities per kind, "
            "recording) flatten the small scales.",
            "",
        ]
    by_scale = {s.scale: s for s in scales}
    goals = []
    if 1 in by_scale and config.end == 2035:
        full = by_scale[1].runs
        total, peak, setup = (
            median([r["total"] for r in full]),
            max(r["peak_mb"] for r in full),
            median([r["setup"] for r in full]),
        )
        goals += [
            ["1:1 run 2020–2035 (s)", f"{total:.1f}", f"< {GOAL_RUN_S:.0f}", met(total < GOAL_RUN_S)],
            ["1:1 run, peak memory (MB)", f"{peak:,.0f}", f"< {GOAL_PEAK_MB:,.0f}", met(peak < GOAL_PEAK_MB)],
            ["1:1 setup (s)", f"{setup:.2f}", f"< {GOAL_SETUP_S:.0f}", met(setup < GOAL_SETUP_S)],
        ]
    if 100 in by_scale:
        year = median([mean_step(r) for r in by_scale[100].runs])
        goals.append(
            ["1:100 year (ms)", f"{year * 1e3:.1f}", f"< {GOAL_YEAR_100_S * 1e3:.0f}", met(year < GOAL_YEAR_100_S)]
        )
    if goals:
        lines += ["Goals:", "", *table(["measure", "today", "goal", "met"], goals), ""]
    if plan:
        lines += ["Plan scenario, one run each:", ""]
        lines += table(
            ["scale", "time per year (ms)", "run (s)", "peak memory (MB)"],
            [
                [f"1:{k}", f"{mean_step(r) * 1e3:.1f}", f"{r['total']:.2f}", f"{r['peak_mb']:,.0f}"]
                for k, r in plan.items()
            ],
        )
        lines.append("")
    if baseline:
        rows = []
        for s in scales:
            if not s.baseline:
                continue
            for name, get in (
                ("time per year", mean_step),
                ("setup", lambda r: r["setup"]),
                ("whole run", lambda r: r["total"]),
                ("CPU time per year", lambda r: float(np.mean(r["cpu_steps"]))),
                ("CPU time, whole run", lambda r: r["cpu_total"]),
                ("peak memory", lambda r: r["peak_mb"]),
            ):
                now, then = median([get(r) for r in s.runs]), median([get(r) for r in s.baseline])
                rows.append([f"1:{s.scale}", name, f"{then:.3g}", f"{now:.3g}", f"{now / then:.2f}"])
        if not rows:
            lines += [f"Commit `{baseline}` could not be measured (see the script's output); today's figures only.", ""]
            return lines
        lines += [
            f"Against commit `{baseline}` (same runs with today's parameter values, interleaved with today's; "
            "seconds or MB; "
            "ratio below 1 is an improvement). CPU time is the process's own (`time.process_time`): on a "
            "shared machine it is far less affected by other jobs than wall time, so its ratio is the fairer one:",
            "",
        ]
        lines += table(["scale", "measure", f"`{baseline}`", "today", "today / baseline"], rows)
        lines.append("")
    return lines


def part_kernel(rows: list[KernelRow], households: int, n_alt: int) -> list[str]:
    floor = next(r for r in rows if r.name.startswith("floor: exp"))
    kernel = rows[0]
    lines = [
        "## 3. Against the hardware",
        "",
        f"{households:,} deciders × {n_alt} alternatives (the problem of part 1), best of the repeats. The floor is "
        "the numpy work a logit choice cannot avoid: one exp or Gumbel draw and one comparison per decider and "
        "alternative, on float32 utilities already laid out per decider (`benchmarks/kernel.py`).",
        "",
    ]
    lines += table(
        ["operation", "time (ms)", "ns per decider·alternative", "÷ exp floor"],
        [[r.name, f"{r.seconds * 1e3:.2f}", f"{r.ns_per_cell:.2f}", f"{r.seconds / floor.seconds:.1f}"] for r in rows],
    )
    ratio = kernel.seconds / floor.seconds
    lines += [
        "",
        f"Goal: kernel (no capacities) ≤ {GOAL_KERNEL_RATIO:.0f}× the exp + argmax floor — {ratio:.1f}× "
        f"({met(ratio <= GOAL_KERNEL_RATIO)}).",
        "",
    ]
    return lines


def part_profile(runs: ScaleRuns) -> list[str]:
    ordered = sorted(runs.runs, key=mean_step)
    run = ordered[(len(ordered) - 1) // 2]  # the run with the median time per year (its stages add up)
    step_first, step_mean = run["steps"][0], mean_step(run)
    rows = []
    for name, times in run["stages"].items():
        per_year = float(np.mean(times))
        rows.append(
            [f"`{name}`", f"{times[0] * 1e3:.1f}", f"{per_year * 1e3:.1f}", f"{100 * per_year / step_mean:.0f} %"]
        )
    rest_one = step_first - sum(times[0] for times in run["stages"].values())
    rest = step_mean - sum(float(np.mean(times)) for times in run["stages"].values())
    rows.append(["(rest of `step`)", f"{rest_one * 1e3:.1f}", f"{rest * 1e3:.1f}", f"{100 * rest / step_mean:.0f} %"])
    rows.append(["**year**", f"**{step_first * 1e3:.1f}**", f"**{step_mean * 1e3:.1f}**", "100 %"])
    lines = [
        f"## 4. Where the time goes (1:{runs.scale})",
        "",
        "Each stage `MigrationModel.STAGES` declares, timed on the instance (wall time, ms), in the run of part 2 "
        f"with the median time per year (of {len(ordered)}): the first simulated year (2021), and the mean year.",
        "",
    ]
    lines += table(["stage", "2021 (ms)", "mean year (ms)", "share of a year"], rows)
    return [
        *lines,
        "",
        f"Outside the years: setup {run['setup']:.2f} s, `model.tables()` at the end {run['tables']:.2f} s.",
        "",
    ]


# ----------------------------------------------------------------------------- part 5: shadow-price rounds
@dataclass
class RoundRuns:
    """Runs at one scale, interleaved: as the model is (its rounds counted) and with no shadow-price rounds."""

    scale: int
    counted: list[dict]
    without: list[dict]


def run_rounds(config: Config) -> list[RoundRuns]:
    """At each scale, runs as the model is (rounds counted) interleaved with runs that have none."""
    out = []
    for scale in config.scales:
        found = RoundRuns(scale, [], [])
        for _ in range(config.repeats.get(scale, 1)):
            found.counted.append(measure(scale, config.end, options=("--count-rounds",)))
            found.without.append(measure(scale, config.end, options=("--shadow-price-rounds", "0")))  # counted: none
        out.append(found)
    return out


def part_rounds(found: list[RoundRuns], end: int, run_goal: float | None) -> list[str]:
    from agents.choice import SHADOW_PRICE_ROUNDS

    lines = [
        "## 5. The shadow-price rounds",
        "",
        "A capacity-limited choice (the residence choice: dwellings and school seats; the job choice: vacancies) "
        f"raises and lowers shadow prices for at most {SHADOW_PRICE_ROUNDS} rounds, then a lottery admits what "
        "still does not fit (`agents/choice.py`). How many rounds (prices moved, choices drawn again) each year's "
        "choices ran, in the first run of each scale below; settled: every price came to rest within the rounds:",
        "",
    ]
    rows = []
    for f in found:
        for which in ("residence", "jobs"):
            counts = [(r[2], r[3]) for r in f.counted[0]["rounds"] if r[1] == which]
            if counts:
                per_year = [n for n, _ in counts]
                settled = sum(ok for _, ok in counts)
                rows.append(
                    [
                        f"1:{f.scale}",
                        which,
                        f"{min(per_year)} – {max(per_year)}",
                        f"{np.median(per_year):.0f}",
                        f"{settled} of {len(counts)}",
                    ]
                )
    lines += table(["scale", "choice", "rounds a year", "median", "years settled"], rows)
    lines += [
        "",
        "What the rounds cost: the same runs with no rounds at all (a what-if that changes the results — the "
        "lottery alone — not the model), interleaved with runs as the model is. Medians, with the range:",
        "",
    ]
    rows = []
    for f in found:
        with_rounds, without = [mean_step(r) for r in f.counted], [mean_step(r) for r in f.without]
        share = 1 - median(without) / median(with_rounds)
        rows.append(
            [
                f"1:{f.scale}",
                str(len(f.counted)),
                fmt_range([t * 1e3 for t in with_rounds], 1),
                fmt_range([t * 1e3 for t in without], 1),
                f"{100 * share:.0f} %",
                fmt_range([r["total"] for r in f.counted], 2),
                fmt_range([r["total"] for r in f.without], 2),
            ]
        )
    lines += table(
        [
            "scale",
            "runs",
            "time per year (ms)",
            "no rounds (ms)",
            "rounds' share of a year",
            f"run 2020–{end} (s)",
            "no rounds (s)",
        ],
        rows,
    )
    full = next((f for f in found if f.scale == 1), None)
    if full is not None and run_goal is not None:
        lines += [
            "",
            f"The goal of 3× faster than the baseline commit needs a 1:1 run of {run_goal:.1f} s; with no shadow-price "
            f"rounds at all it takes {median([r['total'] for r in full.without]):.1f} s.",
        ]
    return [*lines, ""]


# ----------------------------------------------------------------------------- main
def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small scales, one repeat (CI smoke test)")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md", help="report file (default: %(default)s)")
    parser.add_argument("--baseline-commit", metavar="SHA", help="also measure part 2 at this commit (git worktree)")
    parser.add_argument("--scales", type=int, nargs="+", help="override the scales of part 2 (e.g. 1000 100)")
    parser.add_argument("--repeats", type=int, help="override the runs per scale of part 2")
    parser.add_argument("--end", type=int, help="override the last simulated year of part 2")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict:
    """Measure, write the report, and return the raw results (for the tests)."""
    args = parse(argv)
    started = time.perf_counter()
    load_before = os.getloadavg()
    config = replace(QUICK if args.quick else FULL)
    if args.scales:
        config = replace(config, scales=sorted(args.scales, reverse=True))
    if args.repeats:
        config = replace(config, repeats=dict.fromkeys(config.scales, args.repeats))
    if args.end:
        config = replace(config, end=args.end)

    print("1. naive Mesa against vectorized choose", flush=True)
    base = capture(config.state_scale)
    speed, tests = [], []
    for n in config.households:
        problem = resample(base, n)
        for constrained in (False, True):
            row, naive, vector = compare(problem, constrained, config.naive_repeats)
            speed.append(row)
            if not constrained:
                tests.append(share_test(problem, naive, vector))
            print(f"  {n:,} {'with' if constrained else 'without'} capacities: {row.speedup:.0f}×", flush=True)

    print("3. kernel against the numpy floor", flush=True)
    kernel_problem = resample(base, config.kernel_households, seed=1)
    kernels = kernel_rows(kernel_problem, config.kernel_repeats)

    print("2. scale (fresh processes)", flush=True)
    baseline_sha = commit(args.baseline_commit) if args.baseline_commit else None
    with contextlib.ExitStack() as stack:
        tree = stack.enter_context(worktree_at(args.baseline_commit)) if args.baseline_commit else None
        scales = run_scales(config, tree)
    plan = {k: measure(k, config.end, scenario="plan") for k in (1, 100)} if config.plan else {}

    print("5. shadow-price rounds (fresh processes)", flush=True)
    rounds = run_rounds(config)
    full = next((s for s in scales if s.scale == 1 and s.baseline), None)
    run_goal = median([r["total"] for r in full.baseline]) / 3 if full and config.end == 2035 else None

    command = shlex.join([".venv/bin/python", "benchmarks/run.py", *(argv if argv is not None else sys.argv[1:])])
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z} at commit `{commit()}` on {machine()}; "
        f"load average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after; the whole script took "
        f"{time.perf_counter() - started:.0f} s (after imports). Command:",
        "",
        f"    {command}",
        "",
        *part_naive(speed, tests, config.state_scale),
        *part_scale(scales, config, plan, baseline_sha),
        *part_kernel(kernels, config.kernel_households, base.V.shape[1]),
        *part_profile(scales[-1]),
        *part_rounds(rounds, config.end, run_goal),
    ]
    if args.quick:
        lines[2:2] = ["**Quick mode** (small scales, one repeat): a smoke test, not the measurement.", ""]
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))
    return {
        "speed": speed,
        "share_tests": tests,
        "scales": scales,
        "kernel": kernels,
        "rounds": rounds,
        "out": args.out,
    }


if __name__ == "__main__":
    main()
