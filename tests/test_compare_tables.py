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
from experiments.compare import compare, year_reached
from experiments.report import read_workbook, render_html, write_report
from experiments.runner import RunSpec, execute

TARGET = targets()["population"].value


def _scenario(folder, name: str, levers: str, years: str = "2020:2025", scale: int = 1000):
    path = folder / f"{name}.toml"
    path.write_text(f'name = "{name}"\nbase = "plan"\n[levers]\n{levers}\n', encoding="utf-8")
    return load(path).with_run(scale=scale, years=years)


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
