"""Shared fixtures: one small baseline run reused by several test files.

Kept minimal on purpose; fixtures used by a single file live in that file. Hypothesis runs without its
per-example deadline (the ``project`` profile below).
"""

from __future__ import annotations

import fcntl
import os
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import settings

from abm import MigrationModel

# Property tests check what is computed, not how fast: on a shared or loaded machine the first example's imports
# and caches can take far longer than hypothesis' default 200 ms deadline.
settings.register_profile("project", deadline=None)
settings.load_profile("project")

BASELINE_SCALE, BASELINE_END, BASELINE_SEED = 100, 2025, 1


@pytest.fixture(scope="session")
def baseline_model() -> MigrationModel:
    """The baseline at 1:100 from the 2020 census to 2025 (seed 1), already run. Do not mutate or step it."""
    model = MigrationModel(scale=BASELINE_SCALE, end=BASELINE_END, rng=BASELINE_SEED)
    while model.running:
        model.step()
    return model


@pytest.fixture(scope="session")
def baseline_tables(baseline_model):
    """The tables of :func:`baseline_model` (yearly, summary, flows, jobs, ages)."""
    return baseline_model.tables()


@pytest.fixture(scope="session")
def shared_across_workers(tmp_path_factory) -> Callable[[str, Callable[[], Any]], Any]:
    """``share(name, compute)``: ``compute()`` once per session; with pytest-xdist the first worker computes
    and the others read its result from a file (under a lock), so an expensive sweep is not run twice."""

    def share(name: str, compute: Callable[[], Any]) -> Any:
        if "PYTEST_XDIST_WORKER" not in os.environ:
            return compute()
        shared = tmp_path_factory.getbasetemp().parent / f"{name}.pickle"
        with open(shared.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if shared.exists():
                return pickle.loads(shared.read_bytes())
            result = compute()
            shared.write_bytes(pickle.dumps(result))
            return result

    return share
