"""The ``abm`` command line, run as a subprocess: help, registries, docs, user errors and a real run."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from abm.recording import SUMMARY, TABLES
from environment.places import places
from environment.scenario import load
from environment.settings import levers, parameters
from experiments.output_folders import MARKER, staged
from experiments.store import RESULTS_DIR, write_atomically, write_run

ROOT = Path(__file__).resolve().parent.parent
ABM = Path(sys.executable).parent / "abm"
COMMAND = [str(ABM)] if ABM.exists() else [sys.executable, "-m", "experiments.cli"]
SUBCOMMANDS = [
    "run",
    "levers",
    "parameters",
    "scenarios",
    "new-scenario",
    "attribute",
    "backcast",
    "calibrate",
    "serve",
    "sweep",
    "query",
    "compare",
    "sensitivity",
    "validate",
    "discover",
    "optimize",
]
RUN_COLUMNS = [
    *("year", "place", "in_haimen", "population", "urban_population"),
    *("births", "deaths", "arrivals", "departures"),
]


def documented_columns() -> dict[str, list[str]]:
    """The documented table of a run's files (docs/reference/outputs.md): file name -> its columns."""
    text = (ROOT / "docs" / "reference" / "outputs.md").read_text(encoding="utf-8")
    section = text.split("## A run's files", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 3 and cells[0].startswith("`"):
            out[cells[0].strip("`")] = [c.strip() for c in cells[2].strip("`").split(",")]
    return out


def abm(*args: str | Path, cwd: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    env = os.environ | {"PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg"}
    return subprocess.run(
        [*COMMAND, *map(str, args)], capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=timeout
    )


def _listing(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


def _results_snapshot() -> dict[str, int]:
    """Entries of the repository's results/ folder with their modification times."""
    return {p.name: p.stat().st_mtime_ns for p in RESULTS_DIR.iterdir()} if RESULTS_DIR.exists() else {}


def _touched_in_results(before: dict[str, int], name: str) -> list[str]:
    """Entries of results/ about ``name`` (its folder or temporary folders) created or changed since ``before``."""
    after = _results_snapshot()
    return [n for n, t in after.items() if before.get(n) != t and name in n]


# --------------------------------------------------------------------- help
@pytest.mark.parametrize("args", [["--help"], *[[c, "--help"] for c in SUBCOMMANDS]], ids=lambda a: " ".join(a))
def test_help_exits_0(args):
    result = abm(*args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: abm")
    assert result.stderr == ""


def test_every_subcommand_is_covered():
    from experiments.cli import _parser

    (subparsers,) = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert sorted(subparsers.choices) == sorted(SUBCOMMANDS)


def test_main_help_lists_every_subcommand():
    out = abm("--help").stdout
    for command in SUBCOMMANDS:
        assert command in out


def test_no_subcommand_is_a_usage_error():
    result = abm()
    assert result.returncode == 2
    assert "abm: error:" in result.stderr
    assert "Traceback" not in result.stderr


# ----------------------------------------------------------- registries, docs
def test_levers_json_covers_the_registry():
    result = abm("levers", "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert isinstance(records, list) and all(isinstance(r, dict) for r in records)
    assert [r["key"] for r in records] == list(levers())
    for r in records:
        assert {"key", "measure", "unit", "min", "max", "baseline", "plan", "type", "modelled"} <= set(r), r["key"]
        lv = levers()[r["key"]]
        assert isinstance(r["measure"], int) and 1 <= r["measure"] <= 10
        assert isinstance(r["unit"], str)
        assert (r["measure"], r["min"], r["max"], r["baseline"], r["plan_intent"]) == (
            lv.measure,
            lv.low,
            lv.high,
            lv.baseline,
            lv.plan,
        )
        assert r["plan"] == (lv.plan if lv.modelled else lv.baseline), r["key"]  # what the model takes
        if r["type"] == "bool":
            assert isinstance(r["baseline"], bool) and isinstance(r["plan"], bool)
        else:
            for value in (r["baseline"], r["plan"]):  # None: a project that never opens
                assert (value is None and lv.never) or r["min"] <= value <= r["max"], r["key"]
        if not r["modelled"]:
            assert r["reason"], r["key"]
    assert {r["measure"] for r in records} == set(range(1, 11))


@pytest.mark.parametrize("value", ["baseline", "plan"])
def test_every_advertised_lever_value_is_accepted_by_the_model(value):
    from abm import MigrationModel
    from environment.settings import check_setting
    from experiments.docs_tables import lever_records

    records = lever_records()
    assert json.loads(json.dumps(records)) == json.loads(abm("levers", "--json").stdout)
    advertised = {r["key"]: r[value] for r in records}
    for key, setting in advertised.items():
        assert check_setting(key, setting) == setting, key
    model = MigrationModel(scale=1000, end=2021, rng=1, **advertised)  # the model's own checks, all at once
    assert {key: model.settings[key] for key in advertised} == advertised
    if value == "plan":  # the plan scenario runs exactly the advertised plan values
        assert {k: v for k, v in advertised.items() if v != levers()[k].baseline} == {
            k: v for k, v in load("plan").settings.items() if k in advertised
        }


def test_parameters_json_covers_the_registry():
    result = abm("parameters", "--json")
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["key"] for r in records] == list(parameters())
    for r in records:
        assert {"key", "group", "unit", "default", "min", "max", "values", "basis"} <= set(r)
        if r["values"]:  # a choice
            assert r["default"] in r["values"] and r["min"] is None, r["key"]
        else:
            assert r["min"] <= r["default"] <= r["max"], r["key"]
        assert r["basis"].strip(), r["key"]


def test_levers_table_flags_not_modelled_levers():
    table = abm("levers").stdout.split("\n\n")[0]  # the levers' lines, before what their actions are
    lines = {line.split()[0]: line for line in table.splitlines()[1:] if line.strip()}
    assert set(lines) == set(levers())
    for key, lv in levers().items():
        assert ("[not modelled; the plan intends " in lines[key]) == (not lv.modelled), key


@pytest.mark.parametrize(("command", "page"), [("levers", "docs/levers.md"), ("parameters", "docs/parameters.md")])
def test_docs_page_is_what_the_registry_generates(command, page):
    result = abm(command, "--markdown")
    assert result.returncode == 0, result.stderr
    committed = (ROOT / page).read_text(encoding="utf-8")
    assert result.stdout == committed, f"{page} is stale: regenerate it with `abm {command} --markdown > {page}`"


def test_new_scenario_writes_a_valid_template_and_never_overwrites(tmp_path):
    result = abm("new-scenario", "my_plan.toml", "--base", "plan", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert load(tmp_path / "my_plan.toml").settings == load("plan").settings
    written = (tmp_path / "my_plan.toml").read_bytes()
    again = abm("new-scenario", "my_plan.toml", cwd=tmp_path)
    _assert_user_error(again, "my_plan.toml", "already exists")
    assert (tmp_path / "my_plan.toml").read_bytes() == written
    _assert_user_error(abm("new-scenario", "other.toml", "--base", "plann", cwd=tmp_path), "base = 'plann'")
    assert _listing(tmp_path) == {"my_plan.toml"}


def test_scenarios_lists_every_scenario_file():
    result = abm("scenarios")
    assert result.returncode == 0, result.stderr
    names = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert names == sorted(p.stem for p in (ROOT / "environment" / "scenarios").glob("*.toml"))


# --------------------------------------------------------------- user errors
# One of each kind of mistake (tests/test_scenarios.py checks every kind through the loader).
BAD_FILES = {
    "unknown lever": ("[levers]\nhsr_yaer = 2030\n", ["levers.hsr_yaer", "2030", "did you mean 'hsr_year'"]),
    "parameter under levers": ("[levers]\nbeta_income = 2\n", ["levers.beta_income", "[parameters]"]),
    "out of range": ("[levers]\nhsr_year = 2040\n", ["levers.hsr_year", "2040", "2035"]),
    "string for a number": ('[levers]\nschool_seats = "many"\n', ["levers.school_seats", "'many'"]),
    "number for a bool": ("[levers]\nbus_integration = 1\n", ["levers.bus_integration", "1", "true or false"]),
    "NaN": ("[parameters]\nbeta_income = nan\n", ["parameters.beta_income", "nan", "finite"]),
    "infinity": ("[levers]\ncommercial_amenity = inf\n", ["levers.commercial_amenity", "inf", "finite"]),
    "huge number": ("[levers]\nschool_seats = " + "9" * 400 + "\n", ["levers.school_seats", "…", "out of range"]),
    "empty file": ("", ["bad.toml", "is empty"]),
    "missing base": ('base = "nowhere"\n', ["base", "'nowhere'"]),
    "invalid TOML": ("[levers\n", ["TOML"]),
    "name with a path": ('name = "../escape"\n', ["name", "'../escape'"]),
}


def _assert_user_error(result: subprocess.CompletedProcess, *fragments: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("abm: error: "), lines[0]
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])
    assert result.stdout == ""


@pytest.mark.parametrize(("text", "fragments"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_scenario_file_is_a_one_line_error_and_writes_nothing(tmp_path, text, fragments):
    (tmp_path / "bad.toml").write_text(text, encoding="utf-8")
    result = abm("run", "bad.toml", "--out", tmp_path / "out", cwd=tmp_path)
    _assert_user_error(result, "bad.toml", *fragments)
    assert _listing(tmp_path) == {"bad.toml"}


def test_binary_scenario_file_is_named(tmp_path):
    (tmp_path / "bad.toml").write_bytes(bytes(range(256)))
    result = abm("run", "bad.toml", "--out", tmp_path / "out", cwd=tmp_path)
    _assert_user_error(result, "bad.toml", "not a text file")
    assert _listing(tmp_path) == {"bad.toml"}


def test_bad_scenario_file_writes_nothing_to_the_default_results_folder(tmp_path):
    name = f"zz-bad-{os.getpid()}-{tmp_path.name}"
    (tmp_path / "bad.toml").write_text(f'name = "{name}"\n[run]\nyears = "2020:2051"\n', encoding="utf-8")
    before = _results_snapshot()
    result = abm("run", "bad.toml", cwd=tmp_path)  # would write results/<name>
    _assert_user_error(result, "bad.toml", "run.years", "'2020:2051'")
    assert _listing(tmp_path) == {"bad.toml"}
    assert not _touched_in_results(before, name)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["baseline", "--years", "2020:2099"], ["--years", "'2020:2099'", "2050"]),
        (["plann"], ["plann", "did you mean 'plan'"]),
        (["missing.toml"], ["missing.toml", "no such scenario file"]),
        (["baseline", "--set", "rent_subsidy=nan"], ["--set", "rent_subsidy", "nan"]),
        (["baseline", "--set", "rent_subsidy"], ["--set", "KEY=VALUE"]),
        (["baseline", "--set", "rent_subsidie=5"], ["--set", "did you mean 'rent_subsidy'"]),
        (["baseline", "--set", "rent_subsidy=5", "--set", "rent_subsidy=6"], ["--set", "rent_subsidy is set twice"]),
        (["baseline", "--set", "rent_subsidy=5", "--set", "市场租房补贴=6"], ["--set", "rent_subsidy is set twice"]),
        (["baseline", "--set", "购房补贴=5"], ["--set", "did you mean 'talent_purchase_subsidy' (人才购房补贴"]),
    ],
    ids=[
        "years 2099",
        "unknown name",
        "missing file",
        "set NaN",
        "set without value",
        "set unknown key",
        "set twice",
        "set twice by name",
        "set part of a name",
    ],
)
def test_bad_run_option_is_a_one_line_error_and_writes_nothing(tmp_path, args, fragments):
    before = _results_snapshot()
    result = abm("run", *args, "--out", tmp_path / "out", cwd=tmp_path)
    _assert_user_error(result, *fragments)
    assert _listing(tmp_path) == set()
    assert not _touched_in_results(before, Path(args[0]).stem)


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["run", "baseline", "--scale", "0"], ["--scale", "0", "1 to 1000"]),
        (["run", "baseline", "--scale", "True"], ["--scale", "'True'"]),
        (["run", "baseline", "--seed", "-3"], ["--seed", "-3"]),
        (["run", "baseline", "--seed", "1" * 23], ["--seed", "1" * 23]),
        (["attribute", "plan", "--replicates", "0"], ["--replicates", "0"]),
        (["attribute", "plan", "--end", "0"], ["--end", "0"]),
        (["attribute", "plan", "--jobs", "0"], ["--jobs", "0", "-1"]),
        (["calibrate", "--seeds", "-1"], ["--seeds", "-1"]),
        (["calibrate", "--seeds", "1,,2"], ["--seeds", "'1,,2'", "no empty item"]),
        (["calibrate", "--seeds", "1,2,"], ["--seeds", "'1,2,'", "no empty item"]),
        (["calibrate", "--seeds", ","], ["--seeds", "','", "no empty item"]),
        (["calibrate", "--seeds", "1,2,1"], ["--seeds", "'1,2,1'", "each seed once"]),
        (["validate", "--seeds", "1,,2"], ["--seeds", "'1,,2'", "no empty item"]),
        (["compare", "baseline", ""], ["''", "give a scenario file or name"]),
        (["calibrate", "--seeds", "1" * 23], ["--seeds"]),
        (["calibrate", "--jobs", "0"], ["--jobs", "0"]),
        (["calibrate", "--scale", "5000"], ["--scale", "5000"]),
        (["calibrate", "--backend", "spark"], ["--backend", "'spark'", "dask"]),
        (["validate", "--scheduler", "tcp://x:1"], ["--scheduler", "only with --backend dask"]),
        (["attribute", "plan", "--backend", "serial", "--scheduler", "tcp://x:1"], ["--scheduler"]),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else None,
)
def test_bad_flag_is_a_one_line_error_before_any_work(tmp_path, args, fragments):
    result = abm(*args, cwd=tmp_path)
    _assert_user_error(result, *fragments)
    assert _listing(tmp_path) == set()


# ------------------------------------------------------------------ a good run
@pytest.fixture(scope="module")
def good_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("cli") / "out"
    result = abm("run", "baseline", "--scale", "200", "--years", "2020:2023", "--out", out, cwd=out.parent)
    return result, out


def test_good_run_prints_the_target_table(good_run):
    result, out = good_run
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "Resident population" in result.stdout
    assert "1,100,000" in result.stdout
    assert "baseline" in result.stdout
    assert f"results in {out}" in result.stderr


def test_target_table_of_a_short_run_has_no_nan(good_run):
    result, _ = good_run
    assert result.returncode == 0
    rows = [line for line in result.stdout.splitlines() if " n/a " in line]
    assert rows, "the 2025 targets lie beyond a run to 2023"
    assert "nan" not in result.stdout
    for row in rows:
        assert " no " not in row, row


def test_good_run_writes_every_file(good_run):
    _, out = good_run
    expected = {
        "yearly.parquet",
        "summary.parquet",
        "flows.parquet",
        "jobs.parquet",
        "commuting.parquet",
        "ages.parquet",
        "spending.parquet",
        "places.parquet",
        "targets.csv",
        "abm.json",
        "scenario.toml",
        "plots",
    }
    assert _listing(out) == expected
    pngs = list((out / "plots").glob("*.png"))
    assert pngs
    for png in pngs:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", png
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")], "temporary folders left behind"


def test_good_run_writes_the_documented_columns(good_run):
    _, out = good_run
    documented = documented_columns()
    assert set(documented) == {p.name for p in out.iterdir() if p.is_file() and p.suffix in (".parquet", ".csv")}
    for name, columns in documented.items():
        frame = pd.read_parquet(out / name) if name.endswith(".parquet") else pd.read_csv(out / name)
        assert list(frame.columns) == columns, name


def test_good_run_yearly_table(good_run):
    _, out = good_run
    yearly = pd.read_parquet(out / "yearly.parquet")
    assert list(yearly.columns) == TABLES["places"]
    assert list(yearly.columns[: len(RUN_COLUMNS)]) == RUN_COLUMNS
    assert len(yearly) == places().n * 4
    assert sorted(yearly.year.unique()) == [2020, 2021, 2022, 2023]
    assert not yearly.duplicated(["year", "place"]).any()
    for _, rows in yearly.groupby("year"):
        assert rows.place.tolist() == list(places().keys)
    assert yearly.population.notna().all()
    later = yearly[yearly.year > 2020]
    assert later[["births", "deaths", "arrivals", "departures"]].notna().all().all()
    assert (later[["births", "deaths", "arrivals", "departures"]] >= 0).all().all()
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(summary.columns) == list(SUMMARY)
    assert summary.year.tolist() == [2020, 2021, 2022, 2023]
    haimen = yearly[yearly.in_haimen].groupby("year").population.sum().to_numpy()
    assert haimen == pytest.approx(summary.haimen_population.to_numpy(), rel=1e-9)


def test_good_run_other_tables(good_run):
    _, out = good_run
    for name in ("flows", "jobs", "ages"):
        frame = pd.read_parquet(out / f"{name}.parquet")
        assert list(frame.columns) == TABLES[name], name
        assert len(frame) > 0, name
    place_table = pd.read_parquet(out / "places.parquet")
    assert place_table.place.tolist() == list(places().keys)
    targets = pd.read_csv(out / "targets.csv")
    assert {"target", "year", "plan", "model", "met"} <= set(targets.columns)
    assert "population" in targets.target.tolist()


def test_good_run_records_what_produced_it(good_run):
    _, out = good_run
    info = json.loads((out / "abm.json").read_text(encoding="utf-8"))
    assert info["scenario"] == "baseline"
    assert (info["scale"], info["seed"], info["years"]) == (200, 1, [2020, 2023])
    assert info["settings"] == {}
    assert "git_commit" in info and "python" in info
    toml = tomllib.loads((out / "scenario.toml").read_text(encoding="utf-8"))
    assert toml["run"] == {"scale": 200, "seed": 1, "years": "2020:2023"}
    # the written scenario.toml is itself a scenario that reproduces the run
    again = load(out / "scenario.toml")
    assert (again.name, again.settings, again.scale, again.seed, again.end) == ("baseline", {}, 200, 1, 2023)


def test_set_takes_a_levers_chinese_name_for_its_key():
    from experiments.cli import parse_overrides

    assert parse_overrides(["人才购房补贴=80000", "Rent subsidy=900", "hsr_year=never"]) == {
        "talent_purchase_subsidy": 80000,
        "rent_subsidy": 900,
        "hsr_year": "never",
    }


def test_run_writes_the_scenarios_settings(tmp_path):
    (tmp_path / "mine.toml").write_text(
        'name = "mine"\n[levers]\nrent_subsidy = 600\n[parameters]\nbeta_income = 2.0\n'
        '[run]\nscale = 500\nyears = "2020:2022"\n',
        encoding="utf-8",
    )
    result = abm("run", "mine.toml", "--no-plots", "--quiet", "--out", tmp_path / "out", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert not (tmp_path / "out" / "plots").exists()
    info = json.loads((tmp_path / "out" / "abm.json").read_text(encoding="utf-8"))
    assert info["settings"] == {"rent_subsidy": 600, "beta_income": 2.0}
    toml = tomllib.loads((tmp_path / "out" / "scenario.toml").read_text(encoding="utf-8"))
    assert toml["levers"] == {"rent_subsidy": 600}
    assert toml["parameters"] == {"beta_income": 2.0}
    again = load(tmp_path / "out" / "scenario.toml")
    assert again.settings == {"rent_subsidy": 600, "beta_income": 2.0}


# ---------------------------------------------------------------- atomicity
def _old_results(out: Path, kind: str = "output", identity: dict | None = None) -> None:
    """Earlier results of this tool (marked with abm.json, which lists old.txt) in ``out``."""
    with staged(out, kind, identity, say=lambda line: None) as folder:
        (folder / "old.txt").write_text("old results")


def _fill_then_fail(folder: Path) -> None:
    (folder / "yearly.parquet").write_text("half written")
    raise RuntimeError("the run failed midway")


def test_failed_write_leaves_the_old_results_intact(tmp_path):
    out = tmp_path / "results" / "plan"
    _old_results(out)
    with pytest.raises(RuntimeError, match="midway"):
        write_atomically(out, _fill_then_fail)
    assert _listing(out) == {"old.txt", MARKER}
    assert (out / "old.txt").read_text() == "old results"
    assert _listing(out.parent) == {"plan"}, "temporary folders left behind"


def test_failed_first_write_leaves_nothing(tmp_path):
    out = tmp_path / "results" / "plan"
    with pytest.raises(RuntimeError):
        write_atomically(out, _fill_then_fail)
    assert not out.exists()
    assert _listing(out.parent) == set()


def test_successful_write_replaces_the_old_results(tmp_path):
    out = tmp_path / "results" / "plan"
    _old_results(out)
    written = write_atomically(out, lambda folder: (folder / "new.txt").write_text("new"))
    assert written == out.resolve()
    assert _listing(out) == {"new.txt", MARKER}
    assert _listing(out.parent) == {"plan"}


def test_write_run_failing_in_extra_leaves_the_old_results_intact(tmp_path):
    out = tmp_path / "plan"
    _old_results(out, kind="run")
    tables = {"summary": pd.DataFrame({"year": [2020]})}

    def extra(folder: Path) -> None:
        assert (folder / "summary.parquet").exists()  # the tables were written first
        raise RuntimeError("plotting failed")

    with pytest.raises(RuntimeError, match="plotting failed"):
        write_run(out, tables, {"scenario": "plan"}, {"name": "plan"}, extra=extra)
    assert _listing(out) == {"old.txt", MARKER}
    assert _listing(tmp_path) == {"plan"}


# ------------------------------------------------------- output folders via the CLI
SHORT = ("--scale", "1000", "--years", "2020:2021", "--no-plots", "--quiet")


@pytest.mark.parametrize("target", ["file", "foreign folder", "cwd", "results"])
def test_out_that_would_lose_data_is_refused_and_left_intact(tmp_path, target):
    (tmp_path / "notes.txt").write_text("mine")
    out = {"file": tmp_path / "notes.txt", "foreign folder": tmp_path, "cwd": ".", "results": RESULTS_DIR}[target]
    before = _results_snapshot()
    result = abm("run", "baseline", *SHORT, "--out", out, cwd=tmp_path)
    _assert_user_error(result)
    assert (tmp_path / "notes.txt").read_text() == "mine" and _listing(tmp_path) == {"notes.txt"}
    concurrent = {"screenshots"}  # written by the browser tests, which may run at the same time in another worker
    after = _results_snapshot()
    assert {k: v for k, v in after.items() if k not in concurrent} == {
        k: v for k, v in before.items() if k not in concurrent
    }


def test_rerun_replaces_its_own_result_and_says_so(tmp_path):
    out = tmp_path / "out"
    assert abm("run", "baseline", *SHORT, "--out", out, cwd=tmp_path).returncode == 0
    again = subprocess.run(
        [*COMMAND, "run", "baseline", *SHORT[:-1], "--out", str(out)], capture_output=True, text=True, cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    assert "replaced" in again.stderr and "baseline" in again.stderr
    assert json.loads((out / MARKER).read_text())["scenario"] == "baseline"


def test_ctrl_c_prints_one_line_and_writes_nothing(tmp_path):
    env = os.environ | {"PYTHONIOENCODING": "utf-8", "MPLBACKEND": "Agg"}
    process = subprocess.Popen(
        [*COMMAND, "run", "baseline", "--scale", "10", "--out", str(tmp_path / "out")],
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env=env,
        # a shell without job control starts background jobs with SIGINT ignored, and Python keeps an ignored
        # SIGINT ignored: give the run the terminal's default, as a user's Ctrl-C finds it
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(p.name.startswith(".out") for p in tmp_path.iterdir()):
        time.sleep(0.05)  # wait until the run has staged its folder and is simulating (1:10: a 1:100 run can end first)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and stderr.strip().splitlines()[-1] == "abm: interrupted; nothing written"
    assert _listing(tmp_path) == set()


def test_a_failing_disk_is_one_line_exit_1(tmp_path, monkeypatch, capsys):
    import errno

    from experiments import cli, output_folders

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(tmp_path / "out"))

    monkeypatch.setattr(output_folders, "_new_empty_folder", full)
    code = cli.main(["run", "baseline", *SHORT, "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1 and "No space left on device" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_ctrl_c_right_after_the_staging_folder_is_made_leaves_nothing(tmp_path, monkeypatch, capsys):
    from experiments import cli

    real_mkdir = Path.mkdir

    def mkdir_then_interrupt(self, *args, **kwargs):  # SIGINT between the staging folder's mkdir and its try
        real_mkdir(self, *args, **kwargs)
        if ".abm-staging-" in self.name:
            raise KeyboardInterrupt

    monkeypatch.setattr(Path, "mkdir", mkdir_then_interrupt)
    code = cli.main(["run", "baseline", *SHORT, "--out", str(tmp_path / "r")])
    assert code == 130 and capsys.readouterr().err.strip() == "abm: interrupted; nothing written"
    assert _listing(tmp_path) == set()


def test_a_users_file_in_an_earlier_result_is_kept_and_named(tmp_path):
    out = tmp_path / "R"
    assert abm("run", "baseline", "--scale", "1000", "--years", "2020:2021", "--out", out).returncode == 0
    (out / "notes.txt").write_text("hi\n")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    result = abm("run", "baseline", "--scale", "1000", "--years", "2020:2021", "--out", out)
    _assert_user_error(result, str(out), "notes.txt", "did not write")
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert _listing(tmp_path) == {"R"}


# every command that writes a results folder, with arguments that would make it do very little
WRITERS = {
    "run": ["run", "baseline", *SHORT],
    "attribute": ["attribute", "plan", "--scale", "1000", "--replicates", "1", "--jobs", "1"],
    "validate": ["validate", "--scale", "1000", "--seeds", "1", "--end", "2021", "--uncertainty-points", "0"],
    "compare": ["compare", "baseline", "plan", "--scale", "1000", "--replicates", "1", "--years", "2020:2021"],
    "sweep": ["sweep", "transport_grid", "--scale", "1000", "--end", "2021", "--no-progress"],
}


def _accepts(command: str, flag: str) -> bool:
    from experiments.cli import _parser

    (subparsers,) = [a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return any(flag in action.option_strings for action in subparsers.choices[command]._actions)


@pytest.mark.parametrize("command", list(WRITERS))
def test_every_writer_keeps_a_users_file_and_names_it(tmp_path, command, capsys):
    from experiments import cli

    out = tmp_path / "R"
    _old_results(out, kind="run")
    (out / "notes.txt").write_text("mine")
    assert cli.main([*WRITERS[command], "--out", str(out)]) == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("abm: error: "), error
    if command != "sweep":  # a sweep only ever adds to its folder: refused as another kind of output
        assert "notes.txt" in error, error
    assert _listing(out) == {"old.txt", "notes.txt", MARKER} and (out / "notes.txt").read_text() == "mine"
    assert _listing(tmp_path) == {"R"}


@pytest.mark.parametrize("command", [*WRITERS, "sensitivity"])
def test_a_refusal_suggests_replace_only_where_the_command_accepts_it(tmp_path, command, capsys):
    from experiments import cli

    out = tmp_path / "R"
    _old_results(out, kind="something else", identity={"source": "elsewhere"})
    argv = [*WRITERS[command], "--out", str(out)] if command in WRITERS else ["sensitivity", str(tmp_path), "--out"]
    if command == "sensitivity":  # the analysis needs a sweep; the refusal is checked on its output folder alone
        from experiments.output_folders import OutputRefused, check

        with pytest.raises(OutputRefused) as refused:
            check(out, "sensitivity", {"source": str(tmp_path)})
        error = str(refused.value)
    else:
        assert cli.main(argv) == 2
        error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "something else output" in error, error
    assert ("--replace" in error) == _accepts(command, "--replace"), error
    assert _listing(out) == {"old.txt", MARKER}


def test_the_same_file_by_relative_and_absolute_path_is_one_source(tmp_path):
    (tmp_path / "mine.toml").write_text('name = "mine"\n[levers]\nrent_subsidy = 600\n', encoding="utf-8")
    out = tmp_path / "out"
    assert abm("run", "mine.toml", *SHORT, "--out", out, cwd=tmp_path).returncode == 0
    again = abm("run", tmp_path / "mine.toml", *SHORT[:-1], "--out", out, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    assert "replaced" in again.stderr
    assert json.loads((out / MARKER).read_text())["source"] == str((tmp_path / "mine.toml").resolve())


def test_serve_help_is_fast_and_names_its_flags():
    started = time.perf_counter()
    result = abm("serve", "--help")
    assert result.returncode == 0 and "--host" in result.stdout and "--port" in result.stdout
    assert time.perf_counter() - started < 5  # the web stack is imported only when serving
    assert abm("serve", "--port", "0").returncode == 2


def test_a_custom_file_named_like_a_built_in_does_not_replace_its_results(tmp_path):
    out = tmp_path / "out"
    assert abm("run", "baseline", *SHORT, "--out", out, cwd=tmp_path).returncode == 0
    before = (out / MARKER).read_text()
    (tmp_path / "mine.toml").write_text('name = "baseline"\n[levers]\nrent_subsidy = 600\n', encoding="utf-8")
    result = abm("run", "mine.toml", *SHORT, "--out", out, cwd=tmp_path)
    _assert_user_error(result, "--replace")
    assert (out / MARKER).read_text() == before
    assert abm("run", "mine.toml", *SHORT, "--out", out, "--replace", cwd=tmp_path).returncode == 0
    assert json.loads((out / MARKER).read_text())["settings"] == {"rent_subsidy": 600}
