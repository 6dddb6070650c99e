"""Shared fixtures: one small baseline run reused by several test files.

Kept minimal on purpose; fixtures used by a single file live in that file.
"""

from __future__ import annotations

import pytest

from abm import MigrationModel

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
