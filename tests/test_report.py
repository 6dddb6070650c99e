"""Declared outcomes, spending, the comparison report (HTML + xlsx), CJK fonts and Mesa's batch_run."""

from __future__ import annotations

import base64
import warnings
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest

from abm.outcomes import OUTCOMES, _total, _totals_by, describe
from environment.scenario import load
from environment.targets import targets
from experiments.attainment import attainment
from experiments.compare import compare
from experiments.report import LABELS, read_workbook, render_html, sheets, write_report
from experiments.runner import RunSpec, run_model

plt = pytest.importorskip("matplotlib.pyplot")


@pytest.fixture(scope="module")
def plan_model():
    return run_model(RunSpec(load("plan").settings, scale=1000, seed=2, end=2025))


def synthetic_spending(years=(2022, 2023), scale: float = 1.0) -> pd.DataFrame:
    """A spending table as the model writes it: year, measure, lever, recipients, yuan, external_yuan."""
    rows = []
    for y in years:
        rows.append({"year": y, "measure": 7, "lever": "rent_subsidy", "recipients": 100.0, "yuan": 1.2e6 * scale})
        rows.append({"year": y, "measure": 7, "lever": "talent_purchase_subsidy", "recipients": 10.0, "yuan": 5e5})
        rows.append({"year": y, "measure": 10, "lever": "childcare_subsidy", "recipients": 50.0, "yuan": 2e5})
    return pd.DataFrame(rows).assign(external_yuan=0.0)


def test_declared_outcomes_cover_the_plan_and_match_attainment(plan_model):
    table, tables = plan_model.outcomes(), plan_model.tables()
    assert list(table.columns) == ["year", "outcome", "value"]
    for key in (
        "haimen_population",
        "added_kaifaqu",
        "added_gangxinqu",
        "added_sanxing",
        "urbanization",
        "urban_population",
        "net_migration",
        "births",
        "deaths",
        "working_in_shanghai",
    ):
        assert key in set(table.outcome), key
        zh, en, unit = describe(key)
        assert zh and en and unit
    gaps = table[table.outcome.str.endswith("_gap")].set_index("outcome").value
    reached = attainment(tables["yearly"]).set_index("target").gap
    for o in OUTCOMES.values():
        if o.target:
            assert gaps[f"{o.key}_gap"] == pytest.approx(reached[o.target])
    added = table[(table.outcome == "added_kaifaqu") & (table.year == 2020)].value
    assert added.iloc[0] == 0
    population = table[(table.outcome == "haimen_population") & (table.year == 2025)].value
    assert population.iloc[0] == pytest.approx(tables["summary"].haimen_population.iloc[-1])
    spent = table[table.outcome == "spending"].set_index("year").value
    by_year = tables["spending"].groupby("year").yuan.sum()
    assert len(by_year) and spent[by_year.index].to_numpy() == pytest.approx(by_year.to_numpy())


def test_spending_outcomes_from_a_synthetic_year():
    rows = synthetic_spending((2023,))
    now = {"spending": {column: rows[column].to_numpy() for column in rows}}
    spent = OUTCOMES["spending"].in_year(now, 2023, census={}, last=2025)
    assert spent["spending"] == pytest.approx(1.9e6)
    assert spent["spending_measure_07"] == pytest.approx(1.7e6) and spent["spending_measure_10"] == pytest.approx(2e5)
    recipients = OUTCOMES["subsidy_recipients"].in_year(now, 2023, census={}, last=2025)
    assert recipients == pytest.approx(
        {"subsidy_recipients": 160.0, "subsidy_recipients_measure_07": 110.0, "subsidy_recipients_measure_10": 50.0}
    )
    assert describe("spending_measure_07")[1] == "Spending from Haimen's budget (every measure) (measure 07)"


def test_spending_by_measure_is_per_run_and_carries_no_artefact_ratio():
    from experiments.compare import spending_by_measure

    spending = pd.concat(
        [synthetic_spending((2021, 2022)).assign(scenario="plan", replicate=r) for r in (0, 1)], ignore_index=True
    )
    out = spending_by_measure(spending).set_index(["scenario", "measure"])
    assert out.loc[("plan", 7), "yuan"] == pytest.approx(2 * 1.7e6)
    assert out.loc[("plan", "all"), "yuan"] == pytest.approx(2 * 1.9e6)
    assert out.loc[("plan", "all"), "name_en"] == "all"
    assert "yuan_per_added_resident" not in out.columns  # a measure's spending over the whole scenario's gain


class _Images(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.headings, self._in_h = [], [], False

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.images.append(dict(attrs)["src"])
        self._in_h = tag in ("h1", "h2")

    def handle_data(self, data):
        if self._in_h:
            self.headings.append(data)


@pytest.fixture(scope="module")
def comparison(tmp_path_factory):
    """baseline, plan and a file of the user's without titles, 2 paired replicates at 1:1000 to 2022."""
    mine = tmp_path_factory.mktemp("scenarios") / "mine.toml"
    mine.write_text('base = "plan"\n[levers]\ntalent_purchase_subsidy = 300000\n', encoding="utf-8")
    scenarios = [load(n).with_run(scale=1000, years="2020:2022") for n in ("baseline", "plan", mine)]
    return compare(scenarios, replicates=2, n_jobs=1, measures=False)


def _legends(c, monkeypatch) -> list[list[str]]:
    """The legend entries of every figure of the report (figures captured as they are drawn)."""
    import experiments.report as report

    found = []

    def capture(fig) -> str:
        for ax in fig.axes:
            if ax.get_legend() is not None:
                found.append([t.get_text() for t in ax.get_legend().get_texts()])
        plt.close(fig)
        return ""

    monkeypatch.setattr(report, "_figure_png", capture)
    report.plots(c)
    return found


def test_legends_name_scenarios_by_their_titles(comparison, monkeypatch):
    baseline, plan = load("baseline"), load("plan")
    expected = [f"{baseline.title_zh}\n{baseline.title_en}", f"{plan.title_zh}\n{plan.title_en}", "mine"]
    legends = _legends(comparison, monkeypatch)
    assert len(legends) >= 6
    for entries in legends:
        shown = [e for e in entries if e in expected]  # a scenario that pays nothing has no spending bar
        assert shown == [e for e in expected if e in shown] and len(shown) >= 2, entries
    text = render_html(comparison)
    assert plan.title_zh in text and plan.title_en in text


def test_the_workbook_is_formatted_bilingual_and_keeps_full_precision(comparison, tmp_path):
    from openpyxl import load_workbook

    from experiments.workbook import MAX_WIDTH, display_width

    _, xlsx_path = write_report(comparison, tmp_path)
    book = load_workbook(xlsx_path)
    tables = sheets(comparison)
    assert book.sheetnames == [name[:31] for name in tables]
    for name, frame in tables.items():
        sheet = book[name[:31]]
        assert sheet.freeze_panes == "A2", name
        headers = [cell.value for cell in sheet[1]]
        assert headers == [LABELS[c] for c in frame.columns], name  # every column has its two names
        for header in headers:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in header) and any(
                ch.isascii() and ch.isalpha() for ch in header
            )
        for j, column in enumerate(frame.columns, start=1):
            width = sheet.column_dimensions[sheet.cell(row=1, column=j).column_letter].width
            text = [str(v) for v in frame[column] if isinstance(v, str)]
            needed = max([display_width(t) for t in text] + [display_width(headers[j - 1])])
            assert min(needed, MAX_WIDTH - 2) <= width <= MAX_WIDTH, (name, column, width)
    outcomes = book["outcomes 结果"]
    columns = {cell.value: cell.column for cell in outcomes[1]}
    rows = list(outcomes.iter_rows(min_row=2))
    census = next(
        r
        for r in rows
        if r[columns[LABELS["outcome"]] - 1].value == "haimen_population"
        and r[columns[LABELS["year"]] - 1].value == 2020
    )
    mean = census[columns[LABELS["mean"]] - 1]
    assert mean.number_format == "#,##0" and f"{mean.value:,.0f}" == "991,782"
    expected = comparison.bands().query("outcome == 'haimen_population' and year == 2020")["mean"].iloc[0]
    assert mean.value == expected  # full precision kept: only the display is rounded
    share = next(r for r in rows if r[columns[LABELS["outcome"]] - 1].value == "urbanization")
    assert share[columns[LABELS["mean"]] - 1].number_format == "0.0%"
    assert census[columns[LABELS["year"]] - 1].number_format == "0"
    runs = book["runs 运行"]
    assert {cell.number_format for cell in runs["C"][1:]} == {"0"}  # seeds without separators


def test_the_settings_table_names_every_setting_in_both_languages(comparison):
    from environment.settings import lookup

    text = render_html(comparison)
    section = text.split("Scenario settings", 1)[1]
    changed = {k for s in comparison.scenarios for k in s.settings}
    assert changed and "talent_purchase_subsidy" in changed
    for key in changed:
        setting = lookup(key)
        assert f"<td>{key}</td>" in section and setting.name_zh in section and setting.name_en in section, key
    assert "<td>300,000 yuan</td>" in section and "<td>50,000 yuan</td>" in section and "<td>100%</td>" in section


def test_the_spending_axis_reads_in_yi_yuan(comparison, monkeypatch):
    import experiments.report as report

    axes = {}

    def capture(fig) -> str:
        fig.canvas.draw()
        for ax in fig.axes:
            axes[ax.get_title()] = (ax.get_ylabel(), ax.yaxis.get_offset_text().get_text(), ax.get_yticklabels())
        plt.close(fig)
        return ""

    monkeypatch.setattr(report, "_figure_png", capture)
    report.plots(comparison)
    (spending,) = [v for title, v in axes.items() if "Spending by measure" in title]
    label, offset, ticks = spending
    assert "亿元" in label and offset == ""  # no "1e9" above the axis
    assert all("e" not in t.get_text() for t in ticks) and any(t.get_text() not in ("", "0.0") for t in ticks)
    for title, (label, offset, ticks) in axes.items():  # every figure: its unit, separators, no "1e6"
        assert label and offset == "", title
        numbers = [t.get_text() for t in ticks if t.get_text().lstrip("−-").replace(",", "").isdigit()]
        assert all(len(n.lstrip("−-")) < 5 or "," in n for n in numbers), (title, numbers)


def test_report_and_workbook_build_and_open(tmp_path):
    from openpyxl import load_workbook

    scenarios = [load(n).with_run(scale=1000, years="2020:2022") for n in ("baseline", "plan")]
    result = compare(scenarios, replicates=2, n_jobs=1)
    assert set(result.differences.scenario) == {"plan"}
    assert (result.differences.pairs == 2).all()
    html_path, xlsx_path = write_report(result, tmp_path)
    parser = _Images()
    parser.feed(html_path.read_text(encoding="utf-8"))
    assert len(parser.images) >= 5
    for src in parser.images:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"
    text = " ".join(parser.headings)
    for heading in (
        "目标达成",
        "Target attainment",
        "城镇化率",
        "Arrivals by origin",
        "Differences from baseline",
        "Differences from baseline by year",
        "Yuan per added resident",
        "The year the population reaches 1,100,000",
        "Uncertainty: the seeds and the assumptions",
    ):
        assert heading in text, heading
    assert "alt='by_year'" in html_path.read_text(encoding="utf-8")
    assert "http" not in html_path.read_text(encoding="utf-8").split("<body>")[1]  # nothing fetched online
    book = load_workbook(xlsx_path, read_only=True)
    assert any(name.startswith("attainment") for name in book.sheetnames)
    back = pd.read_excel(xlsx_path, sheet_name=None)
    att = back["attainment 目标达成"]
    assert len(att) == 2 * 6 and {LABELS[k] for k in ("plan", "mean", "low", "high")} <= set(att.columns)
    assert len(back["differences 差值"]) > 0
    tables = read_workbook(xlsx_path)
    assert len(tables["by year 逐年差值"]) == len(result.by_year) > 0
    assert set(tables["by year 逐年差值"].year) == {2020, 2021, 2022}
    costs = tables["costs 每新增人口支出"]
    assert len(costs) == 11 and set(costs.measure) == set(range(11))  # the plan, then each measure against it
    assert {"extra_yuan", "extra_residents", "yuan_per_added_resident", "reading"} <= set(costs.columns)
    assert list(tables["reached 达到人口目标"].scenario) == ["baseline", "plan"]
    assert "Which dominates" in " ".join(tables["notes 说明"].text) or "seeds (the dice) only" in " ".join(
        tables["notes 说明"].text
    )


@pytest.mark.slow
def test_compare_on_a_dask_cluster_gives_the_joblib_report(tmp_path):
    """`abm compare --backend dask` (a LocalCluster) writes the tables and the page `--backend joblib` writes."""
    pytest.importorskip("dask.distributed")
    from experiments.cli import main

    common = ["compare", "baseline", "plan", "--scale", "1000", "--years", "2020:2022", "--replicates", "2"]
    for backend in ("joblib", "dask"):
        assert main([*common, "--backend", backend, "--jobs", "2", "--out", str(tmp_path / backend)]) == 0
    dask = pd.read_excel(tmp_path / "dask" / "report.xlsx", sheet_name=None)
    joblib = pd.read_excel(tmp_path / "joblib" / "report.xlsx", sheet_name=None)
    assert list(dask) == list(joblib) and len(dask) >= 5
    for sheet in joblib:
        pd.testing.assert_frame_equal(dask[sheet], joblib[sheet], check_exact=True, obj=sheet)
    assert (tmp_path / "dask" / "report.html").read_bytes() == (tmp_path / "joblib" / "report.html").read_bytes()


def test_compare_cli_refuses_bad_input(tmp_path, capsys):
    from experiments.cli import main

    assert main(["compare", "baseline", "--out", str(tmp_path / "r")]) == 2
    assert main(["compare", "baseline", "nosuch", "--out", str(tmp_path / "r")]) == 2
    assert main(["compare", "baseline", "plan", "--replicates", "0", "--out", str(tmp_path / "r")]) == 2
    assert main(["compare", "baseline", "plan", "--backend", "spark", "--out", str(tmp_path / "r")]) == 2
    assert main(["compare", "baseline", "plan", "--scheduler", "tcp://x:1", "--out", str(tmp_path / "r")]) == 2
    assert not (tmp_path / "r").exists()
    assert len(capsys.readouterr().err.strip().splitlines()) == 5


@pytest.mark.parametrize("given", [["plan", "plan"], ["baseline", "plan", "MINE"]], ids=["twice", "a file named plan"])
def test_compare_refuses_a_scenario_named_twice_before_any_run(tmp_path, capsys, monkeypatch, given):
    import experiments.compare as cmp
    from experiments.cli import main

    (tmp_path / "mine.toml").write_text('name = "plan"\nbase = "plan"\n', encoding="utf-8")
    monkeypatch.setattr(cmp, "run_many", lambda *a, **k: pytest.fail("a run started"))
    argv = [str(tmp_path / "mine.toml") if g == "MINE" else g for g in given]
    assert main(["compare", *argv, "--scale", "1000", "--out", str(tmp_path / "r")]) == 2
    (error,) = capsys.readouterr().err.strip().splitlines()
    assert "'plan' is given twice" in error and "needs its own name" in error, error
    assert "internal error" not in error
    assert not (tmp_path / "r").exists()
    with pytest.raises(cmp.ScenarioError, match="given twice"):  # from Python as well
        compare([load("plan"), load("plan")], replicates=1)


def test_cjk_font_is_registered_or_falls_back_with_one_warning(monkeypatch):
    from abm import fonts

    fonts.register_cjk_font.cache_clear()
    family = fonts.register_cjk_font()
    assert family is not None, "mplfonts ships Noto Sans CJK SC"
    from matplotlib import font_manager

    path = font_manager.findfont(font_manager.FontProperties(family=family))
    from matplotlib.ft2font import FT2Font

    assert FT2Font(path).get_char_index(ord("海")) != 0
    fonts.register_cjk_font.cache_clear()
    monkeypatch.setattr(fonts, "candidates", lambda: [])
    monkeypatch.setattr(fonts, "FAMILY_HINTS", ("No Such Font Family",))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fonts.register_cjk_font() is None
        assert fonts.register_cjk_font() is None  # cached: one warning only
    assert len([w for w in caught if "CJK" in str(w.message)]) == 1
    fonts.register_cjk_font.cache_clear()


def test_mesa_batch_run_gives_declared_outcomes_as_columns():
    import mesa

    from abm.model import MigrationModel

    results = mesa.batch_run(
        MigrationModel,
        parameters={"scale": 1000, "end": 2021, "beta_access": np.array([0.5, 0.7]), "hsr_year": np.int64(2029)},
        rng=[1],
        max_steps=5,
        number_processes=1,
        data_collection_period=-1,
        display_progress=False,
    )
    frame = pd.DataFrame(results)
    assert len(frame) == 2
    for key in ("haimen_population", "added_kaifaqu", "urbanization", "working_in_shanghai", "spending"):
        assert key in frame.columns, key
    # the reporters give what the run's own tables give
    model = MigrationModel(scale=1000, end=2021, rng=1, beta_access=0.5, hsr_year=2029)
    while model.running:
        model.step()
    mine = model.outcomes().query("year == 2021").set_index("outcome").value
    row = frame[frame.beta_access == 0.5].iloc[0]
    assert row.added_kaifaqu == pytest.approx(mine["added_kaifaqu"])
    assert row.haimen_population == pytest.approx(mine["haimen_population"])


def test_report_shows_spending_when_the_model_reports_it(tmp_path, monkeypatch):
    import experiments.compare as cmp

    real = cmp.run_many

    def with_spending(specs, **options):
        results = real(specs, **options)
        for spec, result in zip(specs, results, strict=True):
            if spec.label == "plan":
                result.tables["spending"] = synthetic_spending((2021, 2022))
        return results

    monkeypatch.setattr(cmp, "run_many", with_spending)
    scenarios = [load(n).with_run(scale=1000, years="2020:2022") for n in ("baseline", "plan")]
    result = compare(scenarios, replicates=2, n_jobs=1, measures=False)
    spent = result.spending.set_index(["scenario", "measure"])
    assert spent.loc[("plan", 7), "yuan"] == pytest.approx(2 * 1.7e6)
    whole = result.costs[(result.costs.measure == 0) & (result.costs.scenario == "plan")].iloc[0]
    assert whole.extra_yuan == pytest.approx(1.9e6)  # 2022 only: the plan's years within the runs
    html_path, xlsx_path = write_report(result, tmp_path)
    text = html_path.read_text(encoding="utf-8")
    assert "alt='spending'" in text and "Yuan per added resident" in text
    assert len(pd.read_excel(xlsx_path, sheet_name="spending 支出")) == len(result.spending)


@pytest.mark.parametrize("scenario", ["baseline", "plan"])
def test_collected_outcomes_add_up_from_the_tables_and_are_the_reporters(scenario):
    """Each kind of declared outcome, collected year by year, against a plain sum over the run's tables; and the
    model's reporters (what ``mesa.batch_run`` gives) are the collected values."""
    from abm.model import MigrationModel
    from environment.places import area_places

    model = MigrationModel(scenario=scenario, scale=1000, end=2026, rng=4)
    while model.running:
        model.step()
    tables, collected = model.tables(), model.outcomes()
    value = collected.set_index(["outcome", "year"]).value
    yearly, flows, spending = tables["yearly"], tables["flows"], tables["spending"]
    zone = yearly[yearly.place.isin(area_places("kaifaqu"))].groupby("year").population.sum()
    expected = {
        ("haimen_population", 2024): tables["summary"].set_index("year").haimen_population[2024],
        ("added_kaifaqu", 2026): zone[2026] - zone[2020],
        ("town_population_place_sanxing", 2023): yearly.set_index(["place", "year"]).population["sanxing", 2023],
        ("moves_into_haimen_origin_shanghai", 2022): flows[
            (flows.year == 2022) & (flows.origin == "shanghai") & flows.destination.isin(area_places("haimen"))
        ].people.sum(),
        ("added_kaifaqu_gap", 2025): zone[2025] - zone[2020] - targets()["kaifaqu_growth"].value,
    }
    if len(spending):
        year, measure = spending.iloc[0][["year", "measure"]]
        paid = spending[(spending.year == year) & (spending.measure == measure)].yuan.sum()
        expected[(f"spending_measure_{int(measure):02d}", int(year))] = paid
    for key, reference in expected.items():
        assert value[key] == pytest.approx(reference, rel=1e-12), key
    assert not collected.duplicated(["outcome", "year"]).any() and set(collected.year) == set(range(2020, 2027))
    reported = model.datacollector.get_model_vars_dataframe().reset_index(drop=True)
    for row in collected.itertuples():
        if row.outcome in reported.columns:
            assert reported.loc[row.year - 2020, row.outcome] == pytest.approx(row.value, nan_ok=True), row


@pytest.mark.parametrize(
    "values",
    [
        [],
        [np.nan],
        [1.5],
        [-0.0],
        [0.0],
        [np.nan, np.nan],
        [1.0, np.nan, 2.0],
        [0.1] * 13,
        [-0.0, -0.0],
        [1e308, 1e308],
    ],
)
def test_an_outcomes_total_is_the_sum_of_the_numbers_present(values):
    """``_total`` (a sum of all where none is NaN) gives the sum of the numbers present, to the bit (a lone -0 as 0,
    as a sum gives it), and NaN where there is none."""
    array = np.asarray(values, dtype=float)
    present = array[~np.isnan(array)]
    expected = float(present.sum()) if len(present) else float("nan")
    assert np.asarray(_total(array)).tobytes() == np.asarray(expected).tobytes()


@pytest.mark.parametrize(
    "groups", [["b", "a", "b", "c", "a"], [3, 1, 3, 10, 1], ["haimen", "haimen", "nantong", "haimen", "nantong"]]
)
def test_an_outcomes_totals_by_group_are_those_of_each_groups_values(groups):
    """``_totals_by`` gives each group (in sorted order, as np.unique sorts them) the total of its values in row
    order, NaN skipped, NaN where a group has none."""
    values = np.array([0.1, np.nan, 0.7, np.nan, 0.2])
    array = np.asarray(groups)
    totals = _totals_by(values, array)
    labels = np.unique(array)
    assert list(totals) == labels.tolist()
    for label in labels:
        assert np.asarray(totals[label]).tobytes() == np.asarray(_total(values[array == label])).tobytes()
