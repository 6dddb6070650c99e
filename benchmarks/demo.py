"""Time the web demo's work per simulated year at a scale (default: the demo's), in this process.

    .venv/bin/python benchmarks/demo.py [--scale 100] [--years 5]

Prints JSON: one model's step (the plan), the page's step (both runs and their outcomes),
and drawing the four panels as SVG (what the browser receives) as the page does it
(figures kept, only the year's data drawn again) and afresh, each a mean over the
years 2021 to 2020+years.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

from abm.model import MigrationModel
from abm.web.runs import DEMO_SCALE, DemoRun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=DEMO_SCALE)
    parser.add_argument("--years", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    import abm.web.page  # noqa: F401  (fonts, SVG settings)
    from abm.web.charts import OriginsFigure, SpendingFigure, TargetsFigure
    from abm.web.map import MapFigure

    kinds = (MapFigure, TargetsFigure, OriginsFigure, SpendingFigure)

    imported = time.perf_counter() - started
    started = time.perf_counter()
    run = DemoRun(scale=args.scale)
    built = time.perf_counter() - started
    model_step, page_step, drawing, afresh = [], [], [], []
    charts = [kind(run) for kind in kinds]
    model = MigrationModel(scale=args.scale, rng=1, scenario="plan")
    for _ in range(args.years):
        started = time.perf_counter()
        model.step()
        model_step.append(time.perf_counter() - started)
    for _ in range(args.years):
        started = time.perf_counter()
        run.step()
        page_step.append(time.perf_counter() - started)
        started = time.perf_counter()
        for chart in charts:
            chart.svg()
        drawing.append(time.perf_counter() - started)
        started = time.perf_counter()
        for kind in kinds:
            kind(run).svg()
        afresh.append(time.perf_counter() - started)
    mean = lambda xs: round(statistics.mean(xs), 3)  # noqa: E731
    print(
        json.dumps(
            {
                "scale": args.scale,
                "import_s": round(imported, 2),
                "new_page_model_s": round(built, 2),
                "model_step_s": mean(model_step),
                "page_step_both_runs_and_outcomes_s": mean(page_step),
                "draw_four_panels_svg_s": mean(drawing),
                "draw_four_panels_svg_afresh_s": mean(afresh),
                "load_average_1min": round(os.getloadavg()[0], 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
