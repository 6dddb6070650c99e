"""The documentation's generated parts stay true to the code (checked here too, not only by the docs build):
the ODD has a submodel section for every stage of ``MigrationModel.step``, the code it names exists, and what
the code reads is found in its source."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "docs" / "_ext"))

import abm_docs  # noqa: E402  (the site's extension, from docs/_ext)

ODD = (ROOT / "docs" / "model" / "odd.md").read_text(encoding="utf-8")
SUBMODEL = re.compile(r"```\{odd-submodel\}\n:stage: (\w+)\n(?::code: (.*)\n)?```")


def test_every_stage_of_step_has_one_submodel_section_with_its_label():
    stages = [name for name, _ in abm_docs.step_stages()]
    assert stages[0] == "demography" and stages[-1] == "record"
    described = [stage for stage, _ in SUBMODEL.findall(ODD)]
    assert described == stages  # once each, in the order of the year
    for stage in stages:
        assert f"(odd-{stage.replace('_', '-')})=" in ODD, stage


def test_the_code_each_submodel_names_exists():
    for stage, code in SUBMODEL.findall(ODD):
        for path in [f"abm.model.MigrationModel.{stage}", *code.split()]:
            assert abm_docs.resolve(path) is not None, path


def test_what_code_reads_is_found_in_its_source():
    found = abm_docs.reads(["agents.demography.VitalRates", "agents.demography.form_unions"])
    assert {"covid_mortality_2023", "fertility_factor", "union_rate"} <= set(found["parameters"])
    assert {"fertile_ages", "union_ages", "parent_gap"} <= set(found["constants"])  # module-level names included
    births = abm_docs.reads(["agents.demography.VitalRates.birth_probability"])
    assert "fertility_support_elasticity" in births["parameters"]
    assert "parameters" not in abm_docs.reads(["agents.rows.packed"])  # plain code reads no setting
