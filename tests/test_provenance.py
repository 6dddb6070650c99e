"""What produced a result: the package versions and the lock file's hash in abm.json and in sweep manifests."""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version

import numpy as np
import pandas as pd

from experiments import sweep_store
from experiments.output_folders import LOCK_FILE, MARKER, package_versions, read_marker, staged
from experiments.sweep import parse
from experiments.sweep_runner import run_sweep


def test_package_versions_are_the_installed_ones():
    v = package_versions()
    assert v["numpy"] == np.__version__ == version("numpy")
    assert v["pandas"] == pd.__version__
    assert v["mesa"] == version("mesa")
    assert v["haimen-abm"] == version("haimen-abm")
    assert v["python"].count(".") == 2
    assert v["requirements.lock"] == "sha256:" + hashlib.sha256(LOCK_FILE.read_bytes()).hexdigest()


def test_every_marker_records_the_package_versions(tmp_path):
    with staged(tmp_path / "out", "report", {"source": "a.toml"}) as folder:
        (folder / "x.txt").write_text("x")
    marker = read_marker(tmp_path / "out")
    assert marker["packages"] == package_versions()
    assert json.loads((tmp_path / "out" / MARKER).read_text())["packages"]["numpy"] == np.__version__


def test_a_sweep_records_the_package_versions_in_its_record_and_every_run(tmp_path):
    sweep = parse(
        {
            "base": "baseline",
            "run": {"scale": 1000, "years": "2020:2021"},
            "design": {"kind": "lhs", "samples": 2},
            "vary": {"beta_access": {}},
        },
        "tiny.toml",
    )
    run_sweep(sweep, tmp_path / "s", backend="serial", progress=False)
    record = sweep_store.meta(tmp_path / "s")
    assert record["packages"] == package_versions()
    rows = sweep_store.manifest(tmp_path / "s")
    assert len(rows) == 2
    assert [json.loads(text) for text in rows.packages] == [package_versions()] * 2
    assert read_marker(tmp_path / "s")["packages"] == package_versions()
