"""A sweep's results on disk: Parquet with run_id on every row, DuckDB views, sensitivity from the files."""

from __future__ import annotations

import pandas as pd
import pytest

from abm.outcomes import OUTCOMES
from experiments.cli import main
from experiments.query import QueryError, query
from experiments.runner import RunSpec, run_many
from experiments.sensitivity import analyse, write
from experiments.sweep import SweepError, parse
from experiments.sweep_runner import run_sweep

MORRIS = {
    "name": "tiny_morris",
    "base": "plan",
    "seed": 3,
    "run": {"scale": 1000, "years": "2020:2022"},
    "design": {"kind": "morris", "samples": 2, "levels": 4},
    "vary": {"beta_access": {}, "bus_integration": {}, "rent_subsidy": {"values": [0, 500, 1000]}},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("sweep") / "tiny_morris"
    run_sweep(parse(MORRIS, "tiny_morris.toml"), out, backend="serial", progress=False)
    return out


def test_every_parquet_row_carries_its_run_id_and_pandas_reads_the_folders(folder):
    runs = set(pd.read_parquet(folder / "runs").run_id)
    assert len(runs) == 2 * 4
    for table in ("yearly", "summary", "flows", "jobs", "ages", "outcomes"):
        frame = pd.read_parquet(folder / table)
        assert set(frame.run_id) == runs, table
        one = pd.read_parquet(next((folder / table).glob("*.parquet")))
        assert one.columns[0] == "run_id"


def test_views_runs_outcomes_yearly(folder):
    runs = query(folder, "SELECT * FROM runs ORDER BY run_id")
    assert len(runs) == 8
    assert {
        "run_id",
        "status",
        "seed",
        "beta_access",
        "bus_integration",
        "rent_subsidy",
        "wall_seconds",
        "error",
    } <= set(runs.columns)
    assert (runs.status == "done").all()
    per_run = query(folder, "SELECT run_id, count(DISTINCT outcome) AS n FROM outcomes GROUP BY run_id")
    assert len(per_run) == 8 and (per_run.n >= len([o for o in OUTCOMES.values() if not o.optional])).all()
    joined = query(
        folder,
        "SELECT r.beta_access, o.value FROM outcomes o JOIN runs r USING (run_id) "
        "WHERE o.outcome = 'haimen_population' AND o.year = 2022",
    )
    assert len(joined) == 8 and joined.value.between(9e5, 1.2e6).all()
    yearly = query(folder, "SELECT run_id, year, sum(population) AS p FROM yearly WHERE in_haimen GROUP BY ALL")
    assert len(yearly) == 8 * 3


def test_query_cli_and_errors(folder, tmp_path, capsys):
    assert main(["query", str(folder), "SELECT count(*) AS n FROM runs", "--csv"]) == 0
    assert capsys.readouterr().out.split() == ["n", "8"]
    assert main(["query", str(folder), "SELECT nope FROM runs"]) == 2
    assert "nope" in capsys.readouterr().err
    with pytest.raises(QueryError):
        query(folder, "SELEC 1")
    assert main(["query", str(tmp_path), "SELECT 1"]) == 2
    assert "not a sweep results folder" in capsys.readouterr().err


def test_run_many_returns_one_long_frame_with_label_and_seed():
    specs = [RunSpec({}, scale=1000, seed=s, end=2021, label=f"s{s}") for s in (1, 2)]
    frame = run_many(specs, n_jobs=1, frame="summary")
    assert list(frame.columns[:3]) == ["run", "label", "seed"] and len(frame) == 2 * 2
    assert set(frame.label) == {"s1", "s2"} and set(frame.seed) == {1, 2}
    long = run_many(specs, n_jobs=1, frame="outcomes")
    assert {"year", "outcome", "value"} <= set(long.columns)


def test_morris_sensitivity_from_the_files(folder, capsys):
    table = analyse(folder)
    keys = {o.key for o in OUTCOMES.values() if o.sensitivity}
    assert {"haimen_population", "urbanization"} <= keys
    assert set(table.outcome) == keys and set(table.year) == {2022}
    assert set(table.factor) == {"beta_access", "bus_integration", "rent_subsidy"}
    assert (table.method == "morris").all() and table.mu_star.ge(0).all() and table.sigma.notna().all()
    assert main(["sensitivity", str(folder), "--outcome", "urbanization@2022"]) == 0
    assert (folder / "sensitivity" / "sensitivity.csv").is_file()
    assert (folder / "sensitivity" / "sensitivity.png").stat().st_size > 1000
    assert "Urbanization rate" in capsys.readouterr().out
    with pytest.raises(SweepError):
        analyse(folder, ["nosuch"])
    with pytest.raises(SweepError):
        analyse(folder, ["urbanization@2030"])


def test_sobol_sensitivity(tmp_path):
    spec = dict(
        MORRIS, name="tiny_sobol", design={"kind": "sobol", "samples": 4}, vary={"beta_access": {}, "beta_income": {}}
    )
    out = tmp_path / "sobol"
    run_sweep(parse(spec, "tiny_sobol.toml"), out, backend="serial", progress=False)
    table = analyse(out, ["haimen_population@2022"])
    assert (table.method == "sobol").all() and {"S1", "S1_conf", "ST", "ST_conf"} <= set(table.columns)
    assert "sobol" in write(table, tmp_path / "s")
