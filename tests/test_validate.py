"""The validation report: its comparisons with the facts (data, read by one engine), its sections and the report.

The facts file (``experiments/data/validation_facts.toml``) is checked as it is read; each model quantity is
checked against a plain reading of the run's tables.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from environment.demography_inputs import BAND_STARTS, vital_rates
from environment.inputs import CENSUS_YEAR, fact
from environment.settings import parameters
from experiments.validation.facts import FITTED, KINDS, FactsFileError, Runs, compare, comparisons, expanded
from experiments.validation.pull import pull_check


def test_validation_report_builds_and_parses(tmp_path, monkeypatch):
    from experiments import calibrate
    from experiments.cli import main

    monkeypatch.setattr(calibrate, "CACHE_DIR", tmp_path / "cache")
    out = tmp_path / "validation"
    args = ["validate", "--scale", "1000", "--seeds", "1,2", "--end", "2024", "--jobs", "1", "--out", str(out)]
    args += ["--uncertainty-points", "2", "--refit-scale", "1000"]
    assert main(args) == 0
    text = (out / "validation.md").read_text(encoding="utf-8")
    assert text.startswith("# Validation of the baseline")
    assert text.count("data:image/png;base64,") == 3

    table = pd.read_csv(out / "validation.csv")
    assert {"fitted", "validation", "neighbour check"} <= set(table.kind)
    assert table.loc[table.kind != "not comparable", "model"].notna().all()
    assert "birth rate 2023" in set(table.fact)
    # the parameter band: three recalibrated members (central + 2 points), said in the report
    assert "## Parameter uncertainty" in text and "`outside_pull_after_2020` | 0.2 to 0.8" in text
    assert len(list((tmp_path / "cache").glob("*.json"))) == 3
    assert (table.band_low <= table.band_high).all()
    growth = table.set_index("fact").loc["growth 2020–2022 vs Nantong's"]
    assert growth.band_high - growth.band_low > 0.1  # the post-2020 pull and the other factors move it
    assert "## Post-2020 pull against Nantong" in text
    assert "## Life expectancy, deaths and births against the evidence" in text
    # the backcast: its 2020 against the census, each row fitted or not, with the band and the projection beside it
    assert "## Backcast 2010 → 2020 against the 2020 census" in text
    backcast = pd.read_csv(out / "backcast.csv").set_index("fact")
    assert backcast.kind["resident population 2020"] == "fitted" and backcast.kind["sex ratio 2020"] == "validation"
    assert (backcast.band_low <= backcast.band_high).all()
    assert backcast.cohort_component[["age 60+, share 2020", "births 2019"]].notna().all()


def test_pull_check_orders_growth_by_pull_and_finds_the_pull_for_a_fact():
    check = pull_check(scale=1000, seeds=(1,))
    g = check.growth.sort_values("pull")
    pull = parameters()["outside_pull_after_2020"]
    assert list(g.pull) == [pull.low, check.central, pull.high]
    # more pull, more growth: the range's ends 0.6 apart differ by well over one seed's noise at 1:1000 by 2022
    assert g.growth_2022.is_monotonic_increasing and g.growth_2022.iloc[-1] > g.growth_2022.iloc[0] + 1.0
    middle = g.growth_2022.iloc[[0, -1]].mean()
    assert pull.low < check.pull_for(middle) < pull.high
    assert np.isnan(check.pull_for(g.growth_2022.max() + 1))
    # Haimen grew faster than Nantong and slower than its urban districts in 2010–2020, so the carried-over
    # estimates lie above Nantong's 2020–22 growth (gap/ratio to Nantong) and below the districts' (to 市区)
    expected, facts = check.expected, check.facts
    assert expected["same gap to Nantong"] > facts["Nantong 2022"][1]
    assert expected["same ratio to its urban districts (市区)"] < facts["Nantong 市区 2022"][1]


def test_facts_file_declares_every_comparison_once_with_its_kind_and_what_fitted_it():
    declared = comparisons()
    rows = expanded(declared, last=2035)
    assert len({(c.group, c.fact) for c in rows}) == len(rows)  # no comparison twice
    assert {c.kind for c in declared} == set(KINDS)
    assert all(bool(c.fitted_by) == (c.kind == FITTED) for c in declared)
    assert {c.basis for c in declared} == {"resident", "registered"}


def test_consecutive_expansions_alternate_and_fill_the_placeholders():
    rates = [c.fact for c in expanded(comparisons(), last=2035) if c.group == "vital rates"][: 2 * len(vital_rates())]
    assert rates == [f"{kind} rate {y}" for y in vital_rates() for kind in ("birth", "death")]
    bands = [c for c in expanded(comparisons(), last=2035) if c.group.startswith("2020 five-year bands")]
    assert len(bands) == 2 * len(BAND_STARTS) and bands[0].group != bands[1].group  # persons, men, persons, …
    assert bands[-1].fact == "men 85+, share of all" and bands[-1].model == {"age_share": "85+", "sex": "male"}
    assert any(c.fact == "growth 2020–2035 vs 2010–2020 trend" for c in expanded(comparisons(), last=2035))


BAD_ENTRY = """
[[comparison]]
group = "g"
fact = "the fact"
source = "s"
observed = {{ fact = "pop_male" }}
model = {model}
kind = "{kind}"
"""


@pytest.mark.parametrize(
    ("model", "kind", "says"),
    [
        ('{ summary = "haimen_population", year = 2020 }', "fitted", "fitted_by = ''; allowed: for fitted facts"),
        ('{ summary = "haimen_population", year = 2020 }', "checked", "kind = 'checked'; allowed: fitted |"),
        ("{ birth_weight = 3 }", "validation", "model = {'birth_weight': 3}; allowed: one of summary"),
        ('{ crude_rate = "births", age = 3 }', "validation", "allowed: one of"),
    ],
)
def test_a_mistake_in_the_facts_file_names_the_comparison_key_value_and_what_is_allowed(tmp_path, model, kind, says):
    path = tmp_path / "facts.toml"
    path.write_text(BAD_ENTRY.format(model=model, kind=kind), encoding="utf-8")
    with pytest.raises(FactsFileError) as error:
        comparisons(path)
    assert str(error.value).startswith("facts.toml: comparison 1 (the fact): ") and says in str(error.value)


def test_each_model_quantity_equals_its_plain_reading_of_the_tables(baseline_model, baseline_tables):
    summary, ages = baseline_tables["summary"], baseline_tables["ages"]
    table = compare(Runs([summary], [ages], baseline_model.rates)).set_index("fact")
    s = summary.set_index("year")
    a = ages[ages.year == CENSUS_YEAR]
    assert table.model["resident population 2020"] == s.haimen_population[CENSUS_YEAR]
    assert table.model["urban share 2020"] == pytest.approx(100 * s.urbanization[CENSUS_YEAR])
    share = 100 * a.people[a.sex == "male"].sum() / a.people.sum()
    assert table.model["men, share"] == pytest.approx(share)
    old = a.age_band.isin(["60-64", "65-69", "70-74", "75-79", "80-84", "85+"])
    assert table.model["age 60+, share"] == pytest.approx(100 * a.people[old].sum() / a.people.sum())
    assert table.model["age 25-29, share"] == pytest.approx(
        100 * a.people[a.age_band == "25-29"].sum() / a.people.sum()
    )
    assert table.model["death rate 2023"] == pytest.approx(1000 * s.deaths[2023] / s.haimen_population[2022])
    growth = 100 * (s.haimen_population[2022] / s.haimen_population[CENSUS_YEAR] - 1)
    assert table.model["growth 2020–2022 vs Nantong's"] == pytest.approx(growth)
    row = table.loc["growth 2020–2022 vs Nantong's"]  # relative to Haimen's 2010s growth over two years
    decade = fact("pop_growth_rate_annual", "Haimen", "2010-2020")
    assert row.relative_error == pytest.approx(row.error / (2 * decade))
    yearly = 100 * ((s.haimen_population[2025] / s.haimen_population[CENSUS_YEAR]) ** (1 / 5) - 1)
    assert table.model["growth 2020–2025 vs 2010–2020 trend"] == pytest.approx(yearly)
    observed = 100 * fact("pop_resident_census") / fact("pop_resident_census", "Nantong 市区 (崇川+开发区+通州+海门)")
    assert table.observed["Haimen's share of Nantong 市区 2022 vs 2020's"] == pytest.approx(observed)
    assert np.isnan(table.model_sd).all()  # one run


def test_comparisons_the_runs_do_not_reach_are_left_out(baseline_model, baseline_tables):
    early = {name: t[t.year <= 2021] for name, t in baseline_tables.items() if name in ("summary", "ages")}
    facts = set(compare(Runs([early["summary"]], [early["ages"]], baseline_model.rates)).fact)
    assert {"birth rate 2021", "birth rate 2021 vs Qidong", "growth 2020–2021 vs Nantong's"} <= facts
    assert not facts & {"birth rate 2022", "death rate 2023 vs Nantong 通州区", "growth 2020–2022 vs Nantong's"}
    assert "life expectancy (2021 mortality)" in facts  # from the vital rates, not the runs
