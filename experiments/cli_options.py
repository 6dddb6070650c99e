"""Flags shared by several ``abm`` commands: argparse types checked against their declarations, option groups.

Both command modules (``experiments.cli`` and ``experiments.workbench_cli``) read them from here. Only the
registries are imported, so ``--help`` and input errors answer at once.
"""

from __future__ import annotations

import argparse

from environment.settings import run_options
from experiments.backends import Backend

MAX_JOBS = 256


def run_option(key: str, flag: str):
    """An argparse type checking a run option (scale, seed, end) against its declaration."""

    def parse(text: str) -> int:
        option = run_options()[key]
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: {option.allowed()}") from None
        if not option.low <= value <= option.high:
            raise argparse.ArgumentTypeError(f"{value}: {option.allowed()}")
        return value

    parse.__name__ = flag
    return parse


def whole_number(low: int, high: int, also: tuple[int, ...] = ()):
    """An argparse type for a whole number from ``low`` to ``high`` (or one of ``also``)."""

    def parse(text: str) -> int:
        allowed = f"a whole number from {low} to {high}" + "".join(f" or {a}" for a in also)
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r}: {allowed}") from None
        if not (low <= value <= high or value in also):
            raise argparse.ArgumentTypeError(f"{value}: {allowed}")
        return value

    return parse


def backend_options(p: argparse.ArgumentParser, jobs: int) -> None:
    """``--backend``, ``--jobs`` (default ``jobs``) and ``--scheduler``: where the command's runs execute."""
    p.add_argument("--backend", default="joblib", help="joblib (default: processes on this machine), serial or dask")
    p.add_argument(
        "--jobs",
        type=whole_number(1, MAX_JOBS, also=(-1,)),
        default=jobs,
        help="parallel workers, or -1 for all cores (default %(default)s; dask: the LocalCluster's workers)",
    )
    p.add_argument(
        "--scheduler",
        help="address of a Dask scheduler, e.g. tcp://HOST:8786 (with --backend dask; default: a LocalCluster)",
    )


def chosen_backend(args: argparse.Namespace) -> Backend:
    """The backend the flags of :func:`backend_options` name (a one-line error if they cannot be used together)."""
    return Backend(args.backend, args.jobs, args.scheduler)
