"""Many runs, one way: ``run_many`` on every backend gives the same results, in the specs' order."""

from __future__ import annotations

import pandas as pd
import pytest

from environment.scenario import load
from environment.settings import SettingError
from experiments import backends
from experiments.backends import Backend, BackendError
from experiments.runner import RunResult, RunSpec, run_many, run_model

TABLES = ("yearly", "summary", "flows", "jobs", "commuting", "ages", "spending")
SPECS = [
    RunSpec(scale=1000, seed=4, end=2022, label="baseline"),
    RunSpec(load("plan").settings, scale=1000, seed=4, end=2022, label="plan"),
    RunSpec(scale=1000, seed=5, end=2021, label="baseline, another seed"),
]


@pytest.fixture(scope="module")
def serial() -> list[RunResult]:
    return run_many(SPECS, backend=Backend("serial"), tables=["summary", "flows"])


def assert_same(a: list[RunResult], b: list[RunResult]) -> None:
    assert len(a) == len(b) == len(SPECS)
    for x, y in zip(a, b, strict=True):
        pd.testing.assert_frame_equal(x.outcomes, y.outcomes, check_exact=True)
        assert set(x) == set(y)
        for name in x:
            pd.testing.assert_frame_equal(x[name], y[name], check_exact=True, obj=name)


def test_results_carry_the_collected_outcomes_and_only_the_tables_asked_for(serial):
    for spec, result in zip(SPECS, serial, strict=True):
        assert result.status == "done" and list(result) == ["summary", "flows"]
        model = run_model(spec)
        pd.testing.assert_frame_equal(result.outcomes, model.outcomes(), check_exact=True)
        pd.testing.assert_frame_equal(result["summary"], model.tables()["summary"], check_exact=True)
        assert result["summary"].year.max() == spec.end  # in the specs' order
    assert tuple(run_many(SPECS[2:], backend=Backend("serial"))[0]) == TABLES  # all of them unless told


def test_joblib_workers_give_the_serial_results_in_the_specs_order(serial):
    assert_same(run_many(SPECS, n_jobs=2, tables=["summary", "flows"]), serial)


def test_a_dask_local_cluster_gives_the_serial_results_in_the_specs_order(serial):
    pytest.importorskip("dask.distributed")
    with backends.using(Backend("dask", jobs=2)) as chosen:  # one LocalCluster for the block
        assert chosen.scheduler and backends.in_use() == chosen
        first = run_many(SPECS, tables=["summary", "flows"])
        again = run_many(SPECS[:1], tables=["summary", "flows"])  # the same cluster, still up
    assert backends.in_use() == backends.DEFAULT
    assert_same(first, serial)
    assert_same(again + first[1:], serial)


@pytest.mark.parametrize("backend", [Backend("serial"), Backend("joblib", 2)], ids=["serial", "joblib"])
def test_a_failing_run_raises_its_own_error(backend):
    """Not the runs' return: the model's own one-line error, also from a worker process."""
    bad = RunSpec({"beta_access": 99.0}, scale=1000, seed=1, end=2021)
    with pytest.raises(SettingError, match=r"beta_access = 99\.0: out of range") as raised:
        run_many([SPECS[2], bad], backend=backend)
    assert raised.value.key == "beta_access"


def test_the_long_frame_reads_the_collected_outcomes(serial):
    long = run_many(SPECS, backend=Backend("serial"), frame="outcomes")
    assert list(long.columns) == ["run", "label", "seed", "year", "outcome", "value"]
    for i, result in enumerate(serial):
        mine = long[long.run == i].drop(columns=["run", "label", "seed"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, result.outcomes, check_exact=True)


@pytest.mark.parametrize(
    ("kind", "jobs", "scheduler", "named"),
    [("spark", 1, None, "--backend 'spark'"), ("joblib", 0, None, "--jobs 0"), ("joblib", 2, "tcp://x:1", "--sched")],
)
def test_a_backend_that_cannot_be_used_is_refused_in_one_line(kind, jobs, scheduler, named):
    with pytest.raises(BackendError, match=named) as refused:
        Backend(kind, jobs, scheduler)
    assert "\n" not in str(refused.value)
