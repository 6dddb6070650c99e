"""The release files: version single-sourced, citation and licence in step with pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

import abm

ROOT = Path(__file__).resolve().parents[1]


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_version_comes_from_pyproject():
    assert abm.__version__ == _pyproject()["version"]
    out = subprocess.run([sys.executable, "-m", "experiments.cli", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.strip() == f"abm {abm.__version__}"


def test_citation_matches_the_package():
    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert cff["cff-version"] == "1.2.0"
    assert str(cff["version"]) == _pyproject()["version"]
    assert cff["license"] == _pyproject()["license"]["text"] == "MIT"
    assert cff["authors"] and cff["title"] and cff["message"]


def test_licence_and_changelog():
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## [Unreleased]" in changelog
    assert f"## [{_pyproject()['version']}]" in changelog
