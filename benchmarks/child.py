"""One model run, measured, in a fresh process: what ``benchmarks/run.py`` starts for each run of parts 2, 4 and 5.

    python benchmarks/child.py SCALE END SCENARIO [--pinned JSON] [--count-rounds] [--shadow-price-rounds N]

Run by its path (this tree's measuring code, whatever tree is measured) from the root of the tree measured, with
that tree first on ``PYTHONPATH`` (this tree's, or a baseline commit's worktree), so that tree's model is the one
imported. Prints one JSON line: setup, each year's wall
and CPU time, each stage's time per year, peak memory, rows, and the shadow-price rounds.

It measures through the model's declared hooks only: the stages are ``MigrationModel.STAGES`` (each stage
method timed on the instance; an older model without the declaration has no stage times), and the rounds come
from an :class:`agents.choice.RoundsLog` installed with :func:`agents.choice.logging_rounds`.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import resource
import time
from collections.abc import Callable
from typing import Any

ROUNDS_OF_STAGE = {"choose_residences": "residence", "choose_jobs": "jobs"}  # the rounds' label, by stage


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scale", type=int)
    parser.add_argument("end", type=int)
    parser.add_argument("scenario")
    parser.add_argument("--pinned", default="", help="parameter values (JSON) set where this tree declares them")
    parser.add_argument("--count-rounds", action="store_true", help="log each capacity-limited choice's rounds")
    parser.add_argument("--shadow-price-rounds", type=int, help="a what-if: at most N rounds (counted)")
    return parser.parse_args(argv)


def settings_of(scenario: str, pinned: str) -> tuple[dict[str, Any], list[str]]:
    """The scenario's settings, with the ``pinned`` parameter values this tree accepts (for a fair comparison), and
    the pinned keys it does not accept (see :func:`pinned_settings`)."""
    settings: dict[str, Any] = {}
    if scenario != "baseline":
        from environment.scenario import load

        settings = dict(load(scenario).settings)
    return pinned_settings(settings, pinned)


def pinned_settings(settings: dict[str, Any], pinned: str) -> tuple[dict[str, Any], list[str]]:
    """``settings`` with the ``pinned`` values (JSON) this tree declares and accepts, and the keys it does not (an
    older commit may not know a newer lever or parameter, or allow its value: its own value stays)."""
    from environment.settings import SettingError, check_setting

    settings, unpinned = dict(settings), []
    for key, value in json.loads(pinned or "{}").items():
        try:
            settings[key] = check_setting(key, value, "pinned")
        except SettingError:
            unpinned.append(key)
    return settings, unpinned


def measure(
    scale: int,
    end: int,
    scenario: str = "baseline",
    pinned: str = "",
    count_rounds: bool = False,
    rounds_limit: int | None = None,
) -> dict[str, Any]:
    """One run 2020–``end`` at 1:``scale``, measured (see the module's docstring for what)."""
    import abm
    from abm.model import MigrationModel

    rounds: list[list] = []  # per capacity-limited choice of the years: [year, which, rounds, settled]
    log = None
    if count_rounds or rounds_limit is not None:
        from agents.choice import RoundsLog, logging_rounds

        log = RoundsLog() if rounds_limit is None else RoundsLog(limit=rounds_limit)
    settings, unpinned = settings_of(scenario, pinned)
    with contextlib.ExitStack() as stack:
        if log is not None:
            stack.enter_context(logging_rounds(log))
        started, cpu_started = time.perf_counter(), time.process_time()
        model = MigrationModel(scale=scale, end=end, rng=1, **settings)
        setup = time.perf_counter() - started
        persons_start, households_start = len(model.population.persons), len(model.population.households)
        stage_times: dict[str, list[float]] = {}
        calls = log.calls if log is not None else []  # the choices' (rounds, settled), in order

        def timed(name: str, method: Callable) -> Callable:
            def run(*args: Any, **kwargs: Any) -> Any:
                logged, t = len(calls), time.perf_counter()
                try:
                    return method(*args, **kwargs)
                finally:
                    stage_times[name].append(time.perf_counter() - t)
                    which = ROUNDS_OF_STAGE.get(name, name)
                    rounds.extend([model.year, which, n, settled] for n, settled in calls[logged:])

            return run

        for stage in getattr(MigrationModel, "STAGES", ()):  # the instance's stage methods, timed
            stage_times[stage.method] = []
            setattr(model, stage.method, timed(stage.method, getattr(model, stage.method)))
        steps, cpu_steps = [], []
        while model.running:
            t, c = time.perf_counter(), time.process_time()
            model.step()
            steps.append(time.perf_counter() - t)
            cpu_steps.append(time.process_time() - c)
        t = time.perf_counter()
        model.tables()
        tables = time.perf_counter() - t
        total, cpu_total = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "setup": setup,
        "steps": steps,
        "stages": stage_times,
        "tables": tables,
        "total": total,
        "cpu_steps": cpu_steps,
        "cpu_total": cpu_total,
        "rounds": rounds,
        "persons_start": persons_start,
        "households_start": households_start,
        "persons_end": len(model.population.persons),
        "unpinned": unpinned,
        "package": abm.__file__,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main(argv: list[str] | None = None) -> None:
    args = parse(argv)
    result = measure(args.scale, args.end, args.scenario, args.pinned, args.count_rounds, args.shadow_price_rounds)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
