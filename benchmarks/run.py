"""Performance benchmark: writes benchmarks/RESULTS.md.

Bars (issue 2): a 1:1-scale run 2020–2035 in under 30 s with peak memory under
3 GB; a 1:100-scale year in under 0.1 s (the web page needs it). Each
measurement runs in a fresh process so that peak memory is the run's own.

    .venv/bin/python benchmarks/run.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent

CHILD = r"""
import json, resource, sys, time
from abm import MigrationModel
from environment.scenario import load
scale, end, scenario = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
started = time.perf_counter()
model = MigrationModel(scale=scale, end=end, rng=1, **load(scenario).settings)
setup = time.perf_counter() - started
steps = []
while model.running:
    t = time.perf_counter()
    model.step()
    steps.append(time.perf_counter() - t)
tables = model.tables()
total = time.perf_counter() - started
print(json.dumps({"setup": setup, "steps": steps, "total": total, "agents": len(model.population.persons),
                  "people_2035": float(tables["summary"].haimen_population.iloc[-1]),
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def measure(scale: int, scenario: str = "baseline", end: int = 2035) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(scale), str(end), scenario],
        capture_output=True,
        text=True,
        check=True,
        cwd=HERE.parent,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, numpy {np.__version__}"


def commit() -> str:
    out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE.parent)
    return out.stdout.strip() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3, help="runs per scale (the best and worst are reported)")
    args = parser.parse_args()
    full = [measure(1) for _ in range(args.repeats)]
    small = [measure(100) for _ in range(args.repeats)]
    plan_full, plan_small = measure(1, "plan"), measure(100, "plan")
    full_totals = [r["total"] for r in full]
    full_peak = max(r["peak_mb"] for r in full)
    small_steps = np.concatenate([r["steps"] for r in small])
    rows = [
        (
            "1:1 run 2020–2035, wall time (s)",
            f"{min(full_totals):.1f} – {max(full_totals):.1f}",
            "< 30",
            max(full_totals) < 30,
        ),
        (
            "1:1 run, of which setup (s)",
            f"{min(r['setup'] for r in full):.1f} – {max(r['setup'] for r in full):.1f}",
            "",
            None,
        ),
        ("1:1 run, peak memory (MB)", f"{full_peak:,.0f}", "< 3,072", full_peak < 3072),
        ("1:1 run, person rows at the end", f"{full[0]['agents']:,}", "", None),
        ("1:100 year, mean step time (s)", f"{small_steps.mean():.3f}", "< 0.1", small_steps.mean() < 0.1),
        ("1:100 year, slowest step (s)", f"{small_steps.max():.3f}", "", None),
        ("1:100 run, setup (s)", f"{max(r['setup'] for r in small):.2f}", "", None),
        ("plan scenario: 1:1 run 2020–2035 (s), one run", f"{plan_full['total']:.1f}", "< 30", plan_full["total"] < 30),
        ("plan scenario: 1:1 peak memory (MB)", f"{plan_full['peak_mb']:,.0f}", "< 3,072", plan_full["peak_mb"] < 3072),
        (
            "plan scenario: 1:100 year, mean step (s)",
            f"{np.mean(plan_small['steps']):.3f}",
            "< 0.1",
            np.mean(plan_small["steps"]) < 0.1,
        ),
    ]
    lines = [
        "# Benchmark results",
        "",
        f"Measured {dt.date.today().isoformat()} at commit `{commit()}` on {machine()}, with",
        "",
        f"    .venv/bin/python benchmarks/run.py --repeats {args.repeats}",
        "",
        f"Baseline figures come from {args.repeats} runs, each in a fresh process (seed 1); plan figures from one.",
        "",
        "| measure | result | bar | met |",
        "|---|---|---|---|",
    ]
    for name, value, bar, ok in rows:
        met = "" if ok is None else ("yes" if ok else "**no**")
        lines.append(f"| {name} | {value} | {bar} | {met} |")
    lines += ["", "Step times at 1:1 (s, first run): " + ", ".join(f"{s:.2f}" for s in full[0]["steps"]), ""]
    (HERE / "RESULTS.md").write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
