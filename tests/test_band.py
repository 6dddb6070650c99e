"""The assumptions' band: lowest to highest member mean, differences paired by member and replicate, the verdict
which dominates, and the stored headline sweeps matched to a scenario by their recorded base settings."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from environment.scenario import load
from experiments.band import Band, stored_band, which_dominates


def _values(levels: dict[str, list[tuple[float, float]]]) -> pd.DataFrame:
    """scenario → per member, its two replicates' population in 2025."""
    return pd.DataFrame(
        [
            {"scenario": s, "member": m, "replicate": k, "year": 2025, "outcome": "haimen_population", "value": v}
            for s, members in levels.items()
            for m, pair in enumerate(members)
            for k, v in enumerate(pair)
        ]
    )


def test_the_band_is_the_lowest_to_the_highest_member_mean_and_differences_pair_members_first():
    band = Band(
        "test",
        _values(
            {
                "baseline": [(90.0, 110.0), (190.0, 210.0), (140.0, 160.0)],  # member means 100, 200, 150
                "plan": [(140.0, 160.0), (200.0, 220.0), (150.0, 190.0)],  # member means 150, 210, 170
            }
        ),
    )
    levels = band.levels().set_index("scenario")
    assert (levels.loc["baseline", "band_low"], levels.loc["baseline", "band_high"]) == (100.0, 200.0)
    assert (levels.loc["plan", "band_low"], levels.loc["plan", "band_high"]) == (150.0, 210.0)
    assert (levels.members == 3).all()
    (diff,) = band.differences("baseline").to_dict("records")
    assert diff["scenario"] == "plan" and diff["members"] == 3
    assert (diff["band_low"], diff["band_high"]) == (10.0, 50.0)  # not 150 − 200 to 210 − 100
    assert band.differences("nobody").empty
    unpaired = Band("two sweeps of different points", band.values, paired=False)
    assert unpaired.differences("baseline").empty and not unpaired.levels().empty


@pytest.mark.parametrize(
    ("ratios", "verdict"),
    [
        ([40.0, 12.0, 1.5], "the assumptions dominate"),
        ([0.3, 0.9], "the seed noise dominates"),
        ([0.5, 4.0], "neither dominates everywhere"),
        ([1.0], "neither dominates everywhere"),
    ],
)
def test_which_dominates(ratios, verdict):
    assert which_dominates(ratios).startswith(verdict)


def test_a_stored_sweep_stands_only_for_a_scenario_with_its_recorded_settings(stored_headline_sweeps, tmp_path):
    scenarios = [load(n).with_run(scale=1000, years="2020:2025") for n in ("baseline", "plan")]
    band = stored_band(stored_headline_sweeps, scenarios)
    assert band is not None and band.scenarios == ["baseline", "plan"] and band.paired
    assert set(band.values.member) == {0, 1} and set(band.values.replicate) == {0, 1}
    assert not band.differences("baseline").empty
    # the plan's sweep recorded other settings (a scenario file edited since): the plan has no band, and says so
    edited = tmp_path / "sweeps"
    shutil.copytree(stored_headline_sweeps, edited)
    meta = edited / "headline_plan" / "sweep.json"
    record = json.loads(meta.read_text(encoding="utf-8"))
    record["identity"]["base_settings"]["rent_subsidy"] = 12345
    meta.write_text(json.dumps(record), encoding="utf-8")
    older = edited / "headline_baseline" / "sweep.json"
    original = older.read_text(encoding="utf-8")
    older.write_text(json.dumps(json.loads(original) | {"code_version": "0000000"}), encoding="utf-8")
    band = stored_band(edited, scenarios)
    assert band.scenarios == ["baseline"] and band.differences("baseline").empty
    assert any("No stored sweep has the settings of plan" in n for n in band.notes)
    assert any("0000000" in n for n in band.notes)  # made by another code version: said
    # their seeds differ: the two sweeps' points are not the same settings, so differences are not banded
    shutil.copy(stored_headline_sweeps / "headline_plan" / "sweep.json", meta)
    record = json.loads(original)
    record["identity"]["seed"] = 1
    older.write_text(json.dumps(record), encoding="utf-8")
    band = stored_band(edited, scenarios)
    assert band.scenarios == ["baseline", "plan"] and not band.paired and band.differences("baseline").empty
    assert stored_band(tmp_path / "none", scenarios) is None
