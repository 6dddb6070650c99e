"""The comparison's new tables: yuan per added resident per measure (the attribution's figures on the same runs)
and for a custom scenario (extra ÷ extra), the year 110万 is reached, differences by year, and the assumptions'
band from stored headline sweeps and from recalibrated uncertainty points."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from environment.scenario import load
from environment.targets import PLAN_ADOPTED, measure_targets, targets
from experiments import attribution, calibrate
from experiments import cost_effectiveness as ce
from experiments.attainment import first_year_reached, share_reached_by_year
from experiments.band import Band
from experiments.compare import Comparison, compare, year_reached
from experiments.report import read_workbook, render_html, write_report
from experiments.runner import RunSpec, execute

TARGET = targets()["population"].value


def _scenario(folder, name: str, levers: str, years: str = "2020:2025", scale: int = 1000):
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\nbase = "plan"\n[levers]\n{levers}\n', encoding="utf-8")
    return load(path).with_run(scale=scale, years=years)


@pytest.mark.slow  # 2 × 12 runs and the attribution's 2 × 22
def test_per_measure_costs_are_the_attributions_on_the_same_runs_and_distinct():
    scale, end = 500, 2023
    scenarios = [load(n).with_run(scale=scale, years=f"2020:{end}") for n in ("baseline", "plan")]
    c = compare(scenarios, replicates=2, n_jobs=2)
    costs = c.costs.set_index("measure")
    assert list(costs.index) == [0, *measure_targets()]  # the whole plan, then each measure
    assert (c.costs.first == PLAN_ADOPTED).all() and (c.costs["last"] == end).all()
    assert costs.loc[0, "against"] == "baseline" and costs.loc[2, "against"] == "plan without measure 2"
    table, _ = attribution.attribute(load("plan").with_run(scale=scale), replicates=2, end=end, n_jobs=2)
    mine = table.set_index("measure")
    for m in [0, *measure_targets()]:
        for column in ("extra_yuan", "extra_residents", "yuan_per_added_resident", "low", "high", "reading"):
            a, b = costs.loc[m, column], mine.loc[m, column]
            assert a == b or (pd.isna(a) and pd.isna(b)) or a == pytest.approx(b, rel=1e-9), (m, column)
    measures = costs.drop(index=0)
    assert measures.extra_yuan.nunique() == len(measures)  # each measure its own spending…
    assert measures.extra_residents.nunique() == len(measures)  # …and its own residents, not the plan's total
    assert not np.isclose(measures.extra_residents, costs.loc[0, "extra_residents"]).any()


def test_a_custom_comparison_divides_extra_spending_by_extra_residents(tmp_path):
    plan = load("plan").with_run(scale=200, years="2020:2025")
    mine = _scenario(tmp_path, "mine", "talent_purchase_subsidy = 300000\nrent_subsidy = 1200", scale=200)
    c = compare([plan, mine], replicates=3, n_jobs=2)
    assert set(c.costs.measure) == {0}  # the reference sets levers: no per-measure runs
    (row,) = c.costs.to_dict("records")
    out = c.outcomes

    def per_replicate(scenario: str, outcome: str, years) -> pd.Series:
        rows = out[(out.scenario == scenario) & (out.outcome == outcome) & out.year.isin(years)]
        return rows.groupby("replicate").value.sum()

    spent = per_replicate("mine", "spending", range(2022, 2026)) - per_replicate("plan", "spending", range(2022, 2026))
    gained = {
        s: per_replicate(s, "haimen_population", [2025]) - per_replicate(s, "haimen_population", [2021])
        for s in ("plan", "mine")
    }
    assert row["extra_yuan"] == pytest.approx(spent.mean())
    assert row["extra_residents"] == pytest.approx((gained["mine"] - gained["plan"]).mean())
    total = per_replicate("mine", "spending", range(2022, 2026)).mean()
    assert row["extra_yuan"] < 0.5 * total  # the difference of both, not the scenario's total
    if row["reading"] == ce.PER_RESIDENT:
        assert row["yuan_per_added_resident"] == pytest.approx(row["extra_yuan"] / row["extra_residents"])
    else:
        assert np.isnan(row["yuan_per_added_resident"])


@pytest.mark.slow  # runs to 2031
def test_differences_by_year_are_zero_before_the_lever_acts_and_not_after(tmp_path):
    """A rail line that opens in 2029 against one that never opens: the same runs to 2028, different after; the
    2025 table reads 0, the by-year table shows the effect."""
    never = _scenario(tmp_path, "rail_never", 'hsr_year = "never"', years="2020:2031")
    late = _scenario(tmp_path, "rail_2029", "hsr_year = 2029", years="2020:2031")
    c = compare([never, late], replicates=2, n_jobs=2, measures=False)
    pop = c.by_year[c.by_year.outcome == "haimen_population"].set_index("year")
    assert list(pop.index) == list(range(2020, 2032))
    before, after = pop.loc[:2028], pop.loc[2029:]
    assert (before["mean"] == 0).all() and (before.low == 0).all() and (before.high == 0).all()
    assert (after["mean"] != 0).any()
    headline = c.differences.set_index("outcome").loc["haimen_population"]
    assert headline.year == 2025 and headline["mean"] == 0
    assert set(c.by_year.outcome) >= {"added_kaifaqu", "urbanization", "net_migration"}


def test_the_year_reached():
    frame = pd.DataFrame(
        {
            "scenario": ["never"] * 3 + ["first"] * 3 + ["exact"] * 3 + ["dips"] * 3,
            "year": [2025, 2026, 2027] * 4,
            "value": [1.0e6, 1.05e6, 1.09e6, 1.2e6, 1.1e6, 1.3e6, 1.0e6, TARGET, 1.2e6, 1.0e6, 1.1e6, 1.09e6],
        }
    )
    first = first_year_reached(frame, TARGET, ["scenario"])
    assert pd.isna(first["never"]) and first["first"] == 2025 and first["exact"] == 2026 and first["dips"] == 2026
    shares = share_reached_by_year(frame.assign(member=frame.scenario, group="all"), TARGET, "group", "member")
    assert list(shares.share) == [0.25, 0.75, 0.75]  # reached by a year stays reached


def test_year_reached_reads_the_mean_of_the_runs_and_the_share_of_points():
    rows = []
    for k, path in enumerate([(1.09e6, 1.1e6, 1.12e6), (1.08e6, 1.095e6, 1.11e6)]):
        rows += [
            {"scenario": "plan", "replicate": k, "year": y, "outcome": "haimen_population", "value": v}
            for y, v in zip((2025, 2026, 2027), path, strict=True)
        ]
    table = pd.DataFrame(rows)
    band = Band(
        "test",
        pd.DataFrame(
            [
                {"scenario": "plan", "member": m, "replicate": 0, "year": y, "outcome": "haimen_population", "value": v}
                for m, level in enumerate((1.0e6, 1.2e6, 1.1e6))
                for y, v in zip((2025, 2026, 2027), (level, level, level), strict=True)
            ]
        ),
    )
    (row,) = year_reached(table, band, 2027).to_dict("records")
    assert row["year"] == 2027  # mean 1,097,500 in 2026: not yet
    assert row["earliest"] == 2026 and row["latest"] == 2027 and row["runs_share"] == 1
    assert row["points_share"] == pytest.approx(2 / 3) and row["points_until"] == 2027
    assert "reached in 2027" in row["reading"]
    (never,) = year_reached(table.assign(value=table.value / 2), None, 2027).to_dict("records")
    assert pd.isna(never["year"]) and "not by 2027" in never["reading"] and never["runs_share"] == 0


@pytest.mark.slow  # three scenarios' runs besides the sweeps
def test_the_band_from_stored_headline_sweeps(stored_headline_sweeps):
    from experiments.query import query

    scenarios = [load(n).with_run(scale=1000, years="2020:2026") for n in ("baseline", "plan", "plan_hsr_2030")]
    c = compare(scenarios, replicates=2, n_jobs=2, measures=False, sweeps=stored_headline_sweeps)
    assert c.band is not None and c.band.scenarios == ["baseline", "plan"]  # matched by their settings
    assert any("plan_hsr_2030" in n for n in c.notes) and "headline_plan" in c.band.source
    stored = query(
        stored_headline_sweeps / "headline_plan",
        "SELECT point, avg(value) AS v FROM outcomes JOIN runs USING (run_id) "
        "WHERE outcome = 'haimen_population' AND year = 2025 GROUP BY point",
    )
    att = c.attainment.set_index(["scenario", "target"])
    assert att.loc[("plan", "population"), "band_low"] == pytest.approx(stored.v.min())
    assert att.loc[("plan", "population"), "band_high"] == pytest.approx(stored.v.max())
    assert pd.isna(att.loc[("plan_hsr_2030", "population"), "band_low"])
    diff = c.by_year[(c.by_year.outcome == "haimen_population") & (c.by_year.scenario == "plan")].set_index("year")
    assert diff.loc[2025, "band_low"] <= diff.loc[2025, "band_high"] and pd.isna(diff.loc[2026, "band_low"])
    shares = c.reached_by_year.set_index(["scenario", "year"])
    assert shares.loc[("plan", 2025), "points_share"] in (0.0, 0.5, 1.0)
    assert pd.isna(shares.loc[("plan", 2026), "points_share"])  # the sweeps end in 2025
    assert "Which dominates" in render_html(c)


@pytest.mark.slow  # three refits of the free constants
def test_the_band_from_uncertainty_points(tmp_path, monkeypatch):
    monkeypatch.setattr(calibrate, "CACHE_DIR", tmp_path / "cache")
    scenarios = [load(n).with_run(scale=1000, years="2020:2025") for n in ("baseline", "plan")]
    c = compare(scenarios, replicates=2, n_jobs=2, measures=False, band_points=2, refit_scale=1000)
    levels = c.band.levels().dropna(subset=["band_low"])  # flows have no value in the census year
    assert (levels.members == 3).all() and (levels.band_low <= levels.band_high).all()
    # a member's run is the scenario at the member's values, refitted, on the comparison's seed
    values = c.band.values
    member = values[(values.scenario == "plan") & (values.member == 1) & (values.replicate == 0)]
    from experiments.uncertainty import members

    chosen = members(2, refit_scale=1000)
    seed = int(c.runs.seed.iloc[0])
    settings = dict(scenarios[1].settings) | chosen.settings()[1]
    direct = execute(RunSpec(settings, scale=1000, seed=seed, end=2025, recalibrate=chosen.refit), tables=())
    expected = direct.outcomes.set_index(["outcome", "year"]).value[("haimen_population", 2025)]
    assert member.set_index(["outcome", "year"]).value[("haimen_population", 2025)] == expected
    reached = c.reached.set_index("scenario")
    assert set(reached.points_share) <= {0, 1 / 3, 2 / 3, 1} and (reached.points_until == 2025).all()
    html_path, xlsx_path = write_report(c, tmp_path / "report")
    text = html_path.read_text(encoding="utf-8")
    assert "Which dominates" in text and "band across the assumptions" in text and "Latin-hypercube" in text
    book = read_workbook(xlsx_path)
    assert {"band_low", "band_high"} <= set(book["attainment 目标达成"].columns)
    assert "points_share" in book["reached by year 逐年达到比例"].columns
    assert book["notes 说明"].text.str.contains("Which dominates").any()


def test_the_headline_script_says_which_dominates_and_the_share_reaching_the_target(stored_headline_sweeps):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "scripts" / "headline.py"
    spec = importlib.util.spec_from_file_location("headline", path)
    headline = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(headline)
    baseline, plan = stored_headline_sweeps / "headline_baseline", stored_headline_sweeps / "headline_plan"
    text = headline.summarize(headline.table(baseline, 2025), headline.table(plan, 2025))
    assert "2 design points × 2 paired replicates" in text and "Which dominates:" in text
    assert "times a point's 95 % seed interval" in text
    shares = headline.reached_by_year(headline.population_by_year(baseline), headline.population_by_year(plan))
    rows = [line for line in shares.splitlines() if line.startswith("| 20")]
    assert [r.split(" | ")[0] for r in rows] == [f"| {y}" for y in range(2021, 2026)]
    assert all(cell.strip(" |") in ("0%", "50%", "100%") for r in rows for cell in r.split(" | ")[1:])


def _synthetic_comparison() -> tuple[Comparison, pd.DataFrame]:
    """baseline, plan and the plan without measures 1 and 7, three paired replicates, 2021–2027, built from
    population paths and spending tables (no model runs); returns the comparison and every run's totals."""
    from experiments.compare import cost_table, differences_by_year, reached_by_year

    years = range(2021, 2028)
    gain = {"baseline": 1_000.0, "plan": 21_000.0, "plan-1": 15_000.0, "plan-7": 19_500.0}  # residents a year
    yuan = {"baseline": 0.0, "plan": 2e9, "plan-1": 1.2e9, "plan-7": 1.0e9}  # yuan a year from 2022
    noise = [0.0, 800.0, -800.0]  # residents a year, replicate by replicate (mean 0)
    share = {"baseline": 0.0, "plan": 1.0, "plan-1": 0.4, "plan-7": 0.1}  # how much of it each variant sees
    # measure 7: 1,500 more residents a year against a spread of 0.9 × 800: not distinguishable from zero
    outcomes, totals = [], []
    for variant in gain:
        for k, wobble in enumerate(noise):
            path = {y: 1.0e6 + (gain[variant] + wobble * share[variant]) * (y - 2021) for y in years}
            population = pd.Series(path)
            spending = pd.DataFrame(
                [
                    {"year": y, "measure": 7, "lever": "rent_subsidy", "recipients": 1.0, "yuan": yuan[variant]}
                    for y in years
                    if y >= PLAN_ADOPTED
                ]
            ).assign(external_yuan=0.0)
            totals.append(ce.run_totals(population, spending, ce.periods(2027)).assign(variant=variant, replicate=k))
            if "-" not in variant:
                outcomes += [
                    {"scenario": variant, "replicate": k, "year": y, "outcome": "haimen_population", "value": v}
                    for y, v in path.items()
                ]
    table = pd.DataFrame(outcomes)
    totals = pd.concat(totals, ignore_index=True)
    scenarios = [load("baseline"), load("plan")]
    plan = scenarios[1]
    result = Comparison(
        scenarios=scenarios,
        runs=table[["scenario", "replicate"]].drop_duplicates().assign(seed=1),
        outcomes=table,
        attainment=pd.DataFrame(columns=["scenario", "target", "mean", "low", "high"]),
        differences=pd.DataFrame(),
        arrivals=pd.DataFrame(),
        spending=pd.DataFrame(),
        costs=cost_table(totals, scenarios, [(plan, 1), (plan, 7)]),
        by_year=differences_by_year(table, "baseline"),
        reached=year_reached(table, None, 2027),
        reached_by_year=reached_by_year(table, None),
    )
    return result, totals


def test_the_cost_table_sets_the_scenario_against_the_reference_and_each_measure_against_the_scenario_without_it():
    result, totals = _synthetic_comparison()
    costs = result.costs.set_index(["measure", "last"])
    assert sorted(costs.index) == [(m, last) for m in (0, 1, 7) for last in (2025, 2027)]
    assert costs.loc[(0, 2025), "against"] == "baseline" and costs.loc[(7, 2027), "against"] == "plan without measure 7"
    by = totals.set_index(["variant", "replicate", "last"])
    for measure, against in ((0, "baseline"), (1, "plan-1"), (7, "plan-7")):
        for last in (2025, 2027):
            extra = by.xs(("plan", last), level=["variant", "last"]) - by.xs((against, last), level=["variant", "last"])
            row = costs.loc[(measure, last)]
            assert row.extra_yuan == pytest.approx(extra.yuan.mean())
            assert row.extra_residents == pytest.approx(extra.residents.mean())
            if measure == 7:
                assert row.reading == ce.NO_EFFECT and pd.isna(row.yuan_per_added_resident) and pd.isna(row.low)
                continue
            assert row.yuan_per_added_resident == pytest.approx(extra.yuan.mean() / extra.residents.mean())
            assert row.low < row.yuan_per_added_resident < row.high and row.reading == ce.PER_RESIDENT
    # measure 1: (2 − 1.2) bn a year for 6,000 more residents a year; over 2022–2025, 3.2 bn ÷ 24,000
    assert costs.loc[(1, 2025), "yuan_per_added_resident"] == pytest.approx(3.2e9 / 24_000)
    assert costs.loc[(0, 2025), "yuan_per_added_resident"] == pytest.approx(8e9 / 80_000)
    assert costs.xs(2025, level="last").extra_residents.nunique() == 3  # each measure its own residents


def test_the_terminal_shows_the_costs_with_their_interval_and_the_differences_by_year():
    from experiments.compare import details

    result, _ = _synthetic_comparison()
    text = details(result)
    assert "2022–2025" in text and "2022–2027" in text and "95 % Fieller interval" in text
    for row in result.costs.to_dict("records"):
        assert ce.shown(row) in text, row["measure"]
    assert "plan, 1 " in text and "plan, all (against baseline)" in text
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Resident population, difference"))
    by_year = lines[start + 1 :]
    assert [line.split(":")[0].strip() for line in by_year] == [str(y) for y in range(2021, 2028)]
    assert by_year[0] == "  2021: plan +0 (+0 to +0)"
    pop = result.by_year[result.by_year.outcome == "haimen_population"].set_index("year")
    assert (
        f"plan {pop.loc[2026, 'mean']:+,.0f} ({pop.loc[2026, 'low']:+,.0f} to {pop.loc[2026, 'high']:+,.0f})"
        in by_year[5]
    )
    assert pop.loc[2026, "mean"] == pytest.approx(100_000) and pop.loc[2026, "low"] < 100_000 < pop.loc[2026, "high"]
    # 1,000,000 + 21,000 ± 800 a year: every replicate reaches 1,100,000 in 2026
    assert "plan: reached in 2026; runs 2026–2026; 100% of runs by 2027" in text
    assert "baseline: not by 2027" in text and "The 95 % intervals cover the seeds (the dice) only" in text


def test_the_share_reaching_a_target_by_year_for_each_scenario():
    rows = []
    for scenario, paths in (("a", [(1, 5, 9), (1, 1, 1), (9, 9, 9)]), ("b", [(1, 1, 5), (1, 1, 1)])):
        for member, path in enumerate(paths):
            rows += [
                {"scenario": scenario, "member": member, "year": y, "value": v}
                for y, v in zip((2023, 2024, 2025), path, strict=True)
            ]
    values = pd.DataFrame(rows)
    first = first_year_reached(values, 5, ["scenario", "member"])
    assert list(first.astype("float").fillna(0)) == [2024, 0, 2023, 2025, 0]
    shares = share_reached_by_year(values, 5, "scenario", "member").set_index(["scenario", "year"]).share
    assert list(shares["a"]) == pytest.approx([1 / 3, 2 / 3, 2 / 3])
    assert list(shares["b"]) == [0.0, 0.0, 0.5]
