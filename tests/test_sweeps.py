"""Sweep files, designs, seeds and the sweep runner: errors before any run, resume, failures, backends agree."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from environment.settings import InputError, parameters
from experiments import sweep_store
from experiments.cli import main
from experiments.runner import RunSpec, run
from experiments.sweep import SweepError, derive_seed, load, parse
from experiments.sweep_runner import run_sweep

SMALL = """
name = "small"
base = "plan"
seed = 5
replicates = 2
[run]
scale = 1000
years = "2020:2021"
[design]
kind = "lhs"
samples = 3
[vary]
beta_access = {}
hsr_year = { low = 2027, high = 2030 }
bus_integration = {}
rent_subsidy = { values = [0, 800] }
"""


def write(tmp_path: Path, text: str, name: str = "sweep.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def outcomes_of(folder: Path) -> pd.DataFrame:
    table = pd.read_parquet(folder / "outcomes")
    return table.sort_values(["run_id", "outcome", "year"], ignore_index=True)


# ------------------------------------------------------------------ sweep files and designs

BAD = [
    ("colour = 1", "colour", "unknown key"),
    ("[vary]\nbeta_acess = {}", "vary.beta_acess", "did you mean 'beta_access'"),
    ("[vary]\nbeta_access = { low = 0.0, high = 0.9 }", "vary.beta_access.low", "out of range"),
    ("[vary]\nbeta_access = { low = 0.9, high = 0.5 }", "vary.beta_access", "must be below"),
    ("[vary]\nbeta_access = 3", "vary.beta_access", "a table"),
    ("[vary]\nhsr_year = { low = 2027.5, high = 2030 }", "vary.hsr_year.low", "whole number"),
    ("[vary]\nbus_integration = { low = 0, high = 1 }", "vary.bus_integration", "true/false"),
    ("[vary]\nrent_subsidy = { values = [0, 99999] }", "vary.rent_subsidy.values", "out of range"),
    ("[vary]\nrent_subsidy = { values = [0] }", "vary.rent_subsidy.values", "at least two"),
    ("[vary]\nrent_subsidy = { values = [0, 1], low = 0 }", "vary.rent_subsidy", "not both"),
    ("[vary]\nprovident_fund = {}", "vary.provident_fund", "not modelled"),
    ("[vary]", "vary", "at least one"),
    ('base = "nosuch"\n[vary]\nbeta_access = {}', "base", "no such scenario"),
    ("replicates = 0\n[vary]\nbeta_access = {}", "replicates", "whole number"),
    ('include = ["choise"]\n[vary]\nbeta_access = {}', "include", "a list of"),
    ('[design]\nkind = "fractional"\n[vary]\nbeta_access = {}', "design.kind", "one of grid"),
    ('[design]\nkind = "sobol"\nsamples = 10\n[vary]\nbeta_access = {}', "design.samples", "power of 2"),
    ("[design]\nsample = 10\n[vary]\nbeta_access = {}", "design.sample", "did you mean 'samples'"),
    ('[design]\nkind = "morris"\nlevels = 3\n[vary]\nbeta_access = {}', "design.levels", "even number"),
    ('[design]\nkind = "grid"\nlevels = 1\n[vary]\nbeta_access = {}', "design.levels", "from 2"),
    ("[run]\nscale = 0\n[vary]\nbeta_access = {}", "run.scale", "people per agent"),
    ('[run]\nyears = "2021:2030"\n[vary]\nbeta_access = {}', "run.years", "2020:END"),
    ("[run]\nseed = 3\n[vary]\nbeta_access = {}", "run.seed", "unknown key"),
    ("[vary\nbeta_access = {}", "TOML", "not valid TOML"),
]


@pytest.mark.parametrize(("text", "key", "allowed"), BAD, ids=[b[1] for b in BAD])
def test_each_kind_of_sweep_file_error_is_refused_before_any_run(tmp_path, capsys, text, key, allowed):
    path = write(tmp_path, text)
    with pytest.raises(SweepError) as e:
        load(path)
    message = str(e.value)
    assert message.startswith(str(path)) and key in message and allowed in message
    assert "\n" not in message
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error:") and len(err.splitlines()) == 1
    assert not out.exists()


def test_missing_sweep_file_and_bad_backend_exit_2(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    path = write(tmp_path, SMALL)
    assert main(["sweep", str(path), "--backend", "spark", "--out", str(tmp_path / "o")]) == 2
    with pytest.raises(SystemExit) as refused:  # argparse refuses the flag itself (one line, exit status 2)
        main(["sweep", str(path), "--jobs", "0", "--out", str(tmp_path / "o")])
    assert refused.value.code == 2
    assert main(["sweep", str(path), "--scheduler", "tcp://x:1", "--out", str(tmp_path / "o")]) == 2
    assert "--backend 'spark'" in capsys.readouterr().err
    assert not (tmp_path / "o" / "runs").exists()


def test_designs_round_integers_and_handle_booleans_and_categories(tmp_path):
    sweep = load(write(tmp_path, SMALL))
    points = sweep.points()
    assert len(points) == 3 and len(sweep.runs()) == 6
    assert points.hsr_year.map(type).eq(int).all() and points.hsr_year.between(2027, 2030).all()
    assert points.bus_integration.map(type).eq(bool).all()
    assert set(points.rent_subsidy) <= {0, 800}
    assert points.beta_access.between(0.3, 1.0).all()
    grid = parse(
        {
            "design": {"kind": "grid", "levels": 3},
            "vary": {"hsr_year": {"low": 2027, "high": 2029}, "bus_integration": {}},
        },
        "grid.toml",
    )
    assert len(grid.points()) == 3 * 2
    morris = parse({"design": {"kind": "morris", "samples": 2}, "vary": {"beta_access": {}, "beta_income": {}}}, "m")
    assert len(morris.points()) == 2 * 3
    sobol = parse({"design": {"kind": "sobol", "samples": 4}, "vary": {"beta_access": {}, "beta_income": {}}}, "s")
    assert len(sobol.points()) == 4 * 4


def test_calibrated_constants_are_excluded_unless_named():
    calibrated = {k for k, p in parameters().items() if p.calibrated}
    assert calibrated
    everything = parse({"include": ["parameters"]}, "x.toml")
    keys = {f.key for f in everything.factors}
    assert not keys & calibrated and len(keys) == len(parameters()) - len(calibrated)
    named = sorted(calibrated)[0]
    with_one = parse({"include": ["parameters"], "vary": {named: {}}}, "x.toml")
    assert named in {f.key for f in with_one.factors}


def test_seeds_derive_from_sweep_seed_and_identity_paired_by_default(tmp_path):
    sweep = load(write(tmp_path, SMALL))
    runs = sweep.runs()
    by_rep = {}
    for r in runs:
        by_rep.setdefault(r.replicate, set()).add(r.seed)
    assert all(len(s) == 1 for s in by_rep.values())  # replicate k: one seed at every point
    assert by_rep[0] != by_rep[1]
    assert runs[0].seed == derive_seed(5, 0) == int(np.random.SeedSequence(5, spawn_key=(0,)).generate_state(1)[0] >> 1)
    unpaired = load(write(tmp_path, SMALL.replace("replicates = 2", "replicates = 2\npaired = false"), "u.toml"))
    assert len({r.seed for r in unpaired.runs()}) == len(unpaired.runs())
    assert [r.seed for r in sweep.runs()] == [r.seed for r in runs]  # stable


def test_numpy_typed_values_from_samplers_are_accepted():
    settings = {"beta_access": np.float64(0.7), "hsr_year": np.int64(2029), "bus_integration": np.bool_(True)}
    spec = RunSpec(settings, scale=np.int64(1000), seed=np.int32(3), end=np.int64(2021))
    assert spec.settings == {"beta_access": 0.7, "hsr_year": 2029, "bus_integration": True}
    assert type(spec.settings["hsr_year"]) is int and type(spec.seed) is int
    plain = RunSpec({"beta_access": 0.7, "hsr_year": 2029, "bus_integration": True}, scale=1000, seed=3, end=2021)
    assert spec.config_hash() == plain.config_hash()
    pd.testing.assert_frame_equal(run(spec)["summary"], run(plain)["summary"])


# ------------------------------------------------------------------ running


def test_failing_run_is_recorded_and_the_rest_complete(tmp_path, monkeypatch):
    import experiments.runner as runner

    real = runner.run_model

    def flaky(spec):
        if spec.settings.get("rent_subsidy") == 800 and spec.seed == derive_seed(5, 1):
            raise RuntimeError("injected failure")
        return real(spec)

    monkeypatch.setattr(runner, "run_model", flaky)
    sweep = load(write(tmp_path, SMALL))
    bad = [r for r in sweep.runs() if r.values["rent_subsidy"] == 800 and r.replicate == 1]
    assert bad
    summary = run_sweep(sweep, tmp_path / "out", backend="serial", progress=False)
    assert summary.failed == len(bad) and summary.ran == 6
    manifest = sweep_store.manifest(tmp_path / "out").set_index("run_id")
    failed = manifest[manifest.status == "failed"]
    assert set(failed.index) == {r.run_id for r in bad}
    assert failed.error.str.contains("injected failure").all()
    assert failed.traceback.str.contains("RuntimeError").all()
    assert (failed.rent_subsidy == 800).all() and failed.beta_access.notna().all()
    assert (manifest[manifest.status == "done"].shape[0]) == 6 - len(bad)
    # a rerun skips finished runs (failed ones included) unless asked to retry them
    monkeypatch.setattr(runner, "run_model", real)
    assert run_sweep(sweep, tmp_path / "out", backend="serial", progress=False).ran == 0
    again = run_sweep(sweep, tmp_path / "out", backend="serial", progress=False, retry_failed=True)
    assert again.ran == len(bad) and again.failed == 0
    final = sweep_store.manifest(tmp_path / "out")
    assert (final.status == "done").all() and sorted(final.run_id) == sorted(r.run_id for r in sweep.runs())
    assert not pd.read_parquet(tmp_path / "out" / "outcomes").duplicated(["run_id", "outcome", "year"]).any()


def test_serial_and_joblib_give_identical_results(tmp_path):
    sweep = load(write(tmp_path, SMALL))
    run_sweep(sweep, tmp_path / "serial", backend="serial", progress=False)
    run_sweep(sweep, tmp_path / "joblib", backend="joblib", jobs=2, progress=False)
    pd.testing.assert_frame_equal(outcomes_of(tmp_path / "serial"), outcomes_of(tmp_path / "joblib"))
    for table in ("yearly", "flows"):
        a = pd.read_parquet(tmp_path / "serial" / table).sort_values(["run_id", "year"], kind="stable")
        b = pd.read_parquet(tmp_path / "joblib" / table).sort_values(["run_id", "year"], kind="stable")
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True))


def test_dask_local_cluster_gives_the_serial_results(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    sweep = load(write(tmp_path, SMALL.replace("samples = 3", "samples = 2")))
    run_sweep(sweep, tmp_path / "serial", backend="serial", progress=False)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster:
        address = cluster.scheduler_address  # the path of `abm sweep --backend dask --scheduler ADDRESS`
        summary = run_sweep(sweep, tmp_path / "dask", backend="dask", scheduler=address, progress=False)
    assert summary.ran == 4 and summary.failed == 0
    pd.testing.assert_frame_equal(outcomes_of(tmp_path / "serial"), outcomes_of(tmp_path / "dask"))


@pytest.mark.slow
def test_dask_without_an_address_starts_a_local_cluster(tmp_path):
    pytest.importorskip("dask.distributed")
    sweep = load(write(tmp_path, SMALL.replace("samples = 3", "samples = 1")))
    run_sweep(sweep, tmp_path / "serial", backend="serial", progress=False)
    assert (
        main(
            [
                "sweep",
                str(tmp_path / "sweep.toml"),
                "--backend",
                "dask",
                "--jobs",
                "2",
                "--out",
                str(tmp_path / "dask"),
                "--no-progress",
            ]
        )
        == 0
    )
    pd.testing.assert_frame_equal(outcomes_of(tmp_path / "serial"), outcomes_of(tmp_path / "dask"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def listening(port: int, seconds: float) -> bool:
    """Whether something accepts connections on 127.0.0.1:``port`` within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen) -> None:
    """End a process started in its own session, with its children (a dask worker's nanny starts one)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_dask_scheduler_and_worker_processes_as_on_a_cluster_give_the_serial_results(tmp_path):
    distributed = pytest.importorskip("dask.distributed")
    sweep_file = write(tmp_path, SMALL.replace("samples = 3", "samples = 2"))
    run_sweep(load(sweep_file), tmp_path / "serial", backend="serial", progress=False)
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    commands = [  # as the README says to start them on a cluster's machines
        ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        ["worker", address, "--nthreads", "1", "--no-dashboard", "--local-directory", str(tmp_path / "worker")],
    ]
    out = tmp_path / "dask"
    started: list[subprocess.Popen] = []
    with open(tmp_path / "dask.log", "wb") as log:
        try:
            for command in commands:
                started.append(
                    subprocess.Popen(
                        [sys.executable, "-m", "dask", *command],
                        cwd=tmp_path,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
                if command[0] == "scheduler":
                    assert listening(port, 60), "the dask scheduler did not start"
            with distributed.Client(address, timeout="60s") as client:
                client.wait_for_workers(1, timeout=60)
            cli = ["sweep", str(sweep_file), "--backend", "dask", "--scheduler", address, "--out", str(out)]
            assert main([*cli, "--no-progress"]) == 0
        finally:
            for proc in reversed(started):
                stop(proc)
    assert len(started) == 2 and all(p.poll() is not None for p in started)
    assert not listening(port, 0.5)
    assert len(sweep_store.manifest(out)) == 4
    pd.testing.assert_frame_equal(outcomes_of(tmp_path / "serial"), outcomes_of(out))


def written(out: Path) -> list[str]:
    """Run ids in the manifest files written so far (each file is complete: written aside, then renamed)."""
    return [i for path in (out / "runs").glob("*.parquet") for i in pd.read_parquet(path, columns=["run_id"]).run_id]


def test_resume_after_sigkill_runs_each_missing_run_once(tmp_path):
    text = SMALL.replace("samples = 3", "samples = 15").replace('"2020:2021"', '"2020:2022"')
    path = write(tmp_path, text)
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "experiments.cli", "sweep", str(path), "--backend", "serial", "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--no-progress", "--flush", "0.3"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(written(out)) < 4:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    before = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    done_before = written(out)
    sweep = load(path)
    total = len(sweep.runs())
    assert 4 <= len(done_before) < total, "the sweep finished before it could be killed"
    assert len(before) < len(done_before), "finished runs were not written together"
    summary = run_sweep(sweep, out, backend="serial", progress=False)
    assert summary.skipped == len(done_before) and summary.ran == total - len(done_before)
    after = {p.name: p.stat().st_mtime_ns for p in (out / "runs").glob("*.parquet")}
    assert all(after[n] == t for n, t in before.items())  # none done twice
    assert sorted(written(out)) == sorted(r.run_id for r in sweep.runs())  # each once, none missing
    reference = tmp_path / "reference"
    run_sweep(sweep, reference, backend="serial", progress=False)
    pd.testing.assert_frame_equal(outcomes_of(out), outcomes_of(reference))
    yearly = pd.read_parquet(out / "yearly")
    assert sorted(yearly.run_id.unique()) == sorted(r.run_id for r in sweep.runs())
    assert not yearly.duplicated(["run_id", "year", "place"]).any()


def test_tables_written_without_their_manifest_are_removed_when_the_sweep_resumes(tmp_path, monkeypatch):
    sweep = load(write(tmp_path, SMALL.replace("samples = 3", "samples = 1")))
    out = tmp_path / "out"
    real = sweep_store.write_atomic

    def killed_before_the_manifest(target: Path, fill) -> None:
        if target.parent.name == "runs":
            raise KeyboardInterrupt  # as if killed after the tables were written
        real(target, fill)

    monkeypatch.setattr(sweep_store, "write_atomic", killed_before_the_manifest)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(sweep, out, backend="serial", progress=False, flush_seconds=3600)
    assert len(pd.read_parquet(out / "yearly").run_id.unique()) == 2 and not (out / "runs").exists()
    stray = out / "yearly" / ".p00000-r000.parquet.abm-tmp-1-00.tmp"
    stray.write_bytes(b"half a file")
    mine = out / "extra" / "p00000-r000 mine.parquet"  # not named as the store's files: kept
    mine.parent.mkdir()
    mine.write_text("mine", encoding="utf-8")
    monkeypatch.setattr(sweep_store, "write_atomic", real)
    assert run_sweep(sweep, out, backend="serial", progress=False).ran == 2
    yearly = pd.read_parquet(out / "yearly")
    assert sorted(yearly.run_id.unique()) == ["p00000-r000", "p00000-r001"]
    assert not yearly.duplicated(["run_id", "year", "place"]).any()
    assert not stray.exists() and mine.exists()


def test_finished_runs_are_written_together_or_one_by_one(tmp_path):
    sweep = load(write(tmp_path, SMALL.replace("samples = 3", "samples = 2")))
    run_sweep(sweep, tmp_path / "together", backend="serial", progress=False, flush_seconds=3600)
    run_sweep(sweep, tmp_path / "each", backend="serial", progress=False, flush_seconds=0)
    assert len(list((tmp_path / "together" / "yearly").glob("*.parquet"))) == 1
    assert len(list((tmp_path / "together" / "runs").glob("*.parquet"))) == 1
    assert sorted(p.stem for p in (tmp_path / "each" / "runs").glob("*.parquet")) == [r.run_id for r in sweep.runs()]
    pd.testing.assert_frame_equal(outcomes_of(tmp_path / "together"), outcomes_of(tmp_path / "each"))
    a, b = (
        sweep_store.manifest(tmp_path / d).drop(columns=["wall_seconds", "model_seconds", "finished_at"])
        for d in ("together", "each")
    )
    pd.testing.assert_frame_equal(a, b)


def test_a_folder_holding_another_sweep_is_refused(tmp_path):
    sweep = load(write(tmp_path, SMALL.replace("samples = 3", "samples = 1")))
    run_sweep(sweep, tmp_path / "out", backend="serial", progress=False)
    changed = SMALL.replace("samples = 3", "samples = 1").replace("seed = 5", "seed = 6")
    other = load(write(tmp_path, changed, "b.toml"))  # another sweep file
    with pytest.raises(InputError, match="holds results of"):
        run_sweep(other, tmp_path / "out", backend="serial", progress=False)
    edited = load(write(tmp_path, changed))  # the same file, edited since the sweep ran
    with pytest.raises(SweepError, match="different sweep"):
        run_sweep(edited, tmp_path / "out", backend="serial", progress=False)


def test_example_sweep_files_load():
    from experiments.sweep import all_sweeps

    files = all_sweeps()
    assert {p.stem for p in files} >= {"uncertainty_lhs", "levers_morris"}
    for path in files:
        assert load(path).runs()


# ------------------------------------------------------------------ command-line overrides and the code version

BAD_FLAGS = [
    (["--scale", "0"], "--scale", "0", "from 1 to"),
    (["--scale", "ten"], "--scale", "'ten'", "from 1 to"),
    (["--years", "2021:2030"], "--years", "'2021:2030'", '"2020:END" with END from'),
    (["--years", "2030"], "--years", "'2030'", '"2020:END" with END from'),
    (["--end", "1999"], "--end", "1999", "year from"),
    (["--flush", "-1"], "--flush", "'-1'", "seconds from 0"),
    (["--years", "2020:2030", "--end", "2030"], "--end", "", "not allowed with argument --years"),
]


@pytest.mark.parametrize(("flags", "flag", "value", "allowed"), BAD_FLAGS, ids=[" ".join(b[0]) for b in BAD_FLAGS])
def test_bad_override_flags_exit_2_naming_flag_value_and_what_is_allowed(tmp_path, capsys, flags, flag, value, allowed):
    path = write(tmp_path, SMALL)
    out = tmp_path / "out"
    with pytest.raises(SystemExit) as e:
        main(["sweep", str(path), *flags, "--out", str(out), "--no-progress"])
    assert e.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"abm: error: argument {flag}: {value}") and allowed in err and len(err.splitlines()) == 1
    assert not out.exists()


def test_scale_and_years_overrides_are_part_of_the_sweep_so_a_resume_never_mixes_them(tmp_path, monkeypatch, capsys):
    import experiments.store

    path = write(tmp_path, SMALL.replace("samples = 3", "samples = 1"))
    monkeypatch.setattr(experiments.store, "RESULTS_DIR", tmp_path / "results")
    assert main(["sweep", str(path), "--scale", "500", "--end", "2022", "--no-progress"]) == 0
    out = tmp_path / "results" / "sweeps" / "small-scale500-to2022"  # not the file's own folder
    overridden = load(path, run={"scale": 500, "years": "2020:2022"})
    assert (overridden.scale, overridden.end) == (500, 2022)
    rows = sweep_store.manifest(out)
    assert sorted(rows.config_hash) == sorted(r.spec.config_hash() for r in overridden.runs())
    assert not set(rows.config_hash) & {r.spec.config_hash() for r in load(path).runs()}
    assert pd.read_parquet(out / "summary").year.max() == 2022
    assert load(out / "sweep.toml").scale == 500  # the folder's sweep file reproduces the override
    assert main(["sweep", str(path), "--years", "2020:2022", "--scale", "500", "--no-progress"]) == 0  # resumes
    assert "2 runs; 2 already finished, 0 run now" in capsys.readouterr().out
    files = sorted((out / "runs").iterdir())
    # the same folder at another scale is refused, nothing written
    assert main(["sweep", str(path), "--out", str(out), "--no-progress"]) == 2
    assert main(["sweep", str(path), "--out", str(out), "--scale", "200", "--no-progress"]) == 2
    assert "different sweep" in capsys.readouterr().err
    assert sorted((out / "runs").iterdir()) == files and len(sweep_store.manifest(out)) == 2


def test_code_version_is_the_commit_with_a_dirty_flag(tmp_path):
    from experiments.store import PROJECT_ROOT, git_commit

    def git(*args: str, cwd: Path = tmp_path) -> str:
        done = subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
            cwd=cwd,
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    if (PROJECT_ROOT / ".git").exists():
        head = git("rev-parse", "--short=7", "HEAD", cwd=PROJECT_ROOT)
        dirty = bool(git("status", "--porcelain", "--untracked-files=no", cwd=PROJECT_ROOT))
        assert git_commit() == head + ("-dirty" if dirty else "")
    assert git_commit(tmp_path) == "haimen-abm 0.1.0 (no git checkout)"
    git("init", "-q")
    (tmp_path / "a.txt").write_text("a", encoding="utf-8")
    git("add", "a.txt")
    git("commit", "-qm", "a")
    head = git("rev-parse", "--short=7", "HEAD")
    assert git_commit(tmp_path) == head
    (tmp_path / "new.txt").write_text("untracked", encoding="utf-8")
    assert git_commit(tmp_path) == head  # untracked files (results, caches) do not make it dirty
    (tmp_path / "a.txt").write_text("b", encoding="utf-8")
    assert git_commit(tmp_path) == f"{head}-dirty"
    inner = tmp_path / "venv" / "site-packages"  # an installed copy inside a user's repository
    inner.mkdir(parents=True)
    assert git_commit(inner) == "haimen-abm 0.1.0 (no git checkout)"


HEADLINE_SWEEPS = ("headline_baseline", "headline_plan", "headline_plan_continued", "headline_plan_phased_out")


def test_the_headline_sweeps_share_their_design_so_they_pair_point_by_point():
    """scripts/headline.py and scripts/bands.py pair the four headline sweeps point by point: the files may differ
    only in name, description and base scenario (an edit to one file's factors or design must reach all four)."""
    sweeps = [load(name) for name in HEADLINE_SWEEPS]
    shared = ("factors", "design", "samples", "levels", "seed", "design_seed", "replicates", "paired", "scale", "end")
    first = sweeps[0]
    for other in sweeps[1:]:
        assert {k: getattr(other, k) for k in shared} == {k: getattr(first, k) for k in shared}, other.name
        assert other.recalibrate == first.recalibrate, other.name
    assert len({s.base.name for s in sweeps}) == len(sweeps)
