"""The web demo without a browser: registry-driven controls, the page's address, the banner's figures, uncertainty,
the precomputed files and their scripts, paired runs, frames and errors kept."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import matplotlib
import pytest

from abm.web.address import Address, decode, encode
from abm.web.controls import (
    check,
    choices,
    default_values,
    scenario_setting,
    slider_step,
    sliders,
    value_text,
)
from abm.web.runs import MAIN_LEVERS, DemoRun, never_stop, reference_scenarios, scenario_titles, scenario_values
from abm.web.text import lang, people
from abm.web.uncertainty import chance, distance, key, nearest, scale_choices
from environment.settings import levers
from environment.targets import measure_targets, targets

ROOT = Path(__file__).resolve().parents[1]
SCALE = 500  # quick


@pytest.fixture
def english():
    lang.value = "en"
    yield
    lang.value = "zh"


def test_controls_come_from_the_lever_registry():
    assert {levers()[k].measure for k in MAIN_LEVERS} == set(measure_targets())  # every measure group has one
    for spec in sliders():
        lever = levers()[spec.key]
        assert spec.label.startswith(lever.name_zh)
        assert spec.low == lever.low
        assert spec.high == (never_stop(lever) if lever.never else lever.high)
        assert spec.start == (never_stop(lever) if lever.plan is None else lever.plan)
    assert reference_scenarios()[:2] == ["baseline", "plan"]
    assert default_values()["scale"] in scale_choices()


def test_the_plan_and_the_baseline_sit_exactly_on_a_slider_stop():
    """Finding 2: industrial jobs 3,500 showed 3,600 and the childcare subsidy 3,600 showed 3,500."""
    assert slider_step(levers()["industrial_jobs_kaifaqu"]) == 100
    assert slider_step(levers()["childcare_subsidy"]) == 200
    for spec in sliders():
        lever = levers()[spec.key]
        for value in (lever.plan, lever.baseline, spec.high):
            if isinstance(value, int | float) and not isinstance(value, bool):
                stops = (value - spec.low) / spec.step
                assert abs(stops - round(stops)) < 1e-9, f"{spec.key}: {value} is not on a stop of {spec.step}"
        assert (spec.high - spec.low) / spec.step <= 200  # a slider still moves in sensible steps


def test_an_untouched_page_runs_exactly_the_plan():
    """The page's first setting gives the model every lever and parameter of the plan scenario."""
    run = DemoRun(**default_values() | {"scale": SCALE})
    assert run.error is None
    assert run.settings == scenario_values("plan")


def test_last_stop_of_a_year_slider_means_never():
    run = DemoRun(scale=SCALE, hsr_year=never_stop(levers()["hsr_year"]))
    assert run.error is None
    assert run.current.settings["hsr_year"] is None


def test_slider_values_are_written_out_with_units_and_separators(english):
    assert value_text("talent_purchase_subsidy", 300_000) == "300,000 yuan"
    assert value_text("hsr_year", never_stop(levers()["hsr_year"])) == "never"
    assert value_text("green_amenity", 0.03) == "+3 points"
    assert value_text("rng", 2) == "draw 2"
    lang.value = "zh"
    assert value_text("industrial_jobs_kaifaqu", 3500) == "3,500个岗位/年"
    assert value_text("hsr_year", 2027) == "2027年"


def test_same_setting_on_both_sides_gives_no_difference():
    run = DemoRun(**default_values() | {"scale": SCALE, "reference": "plan"})
    for _ in range(2):
        run.step()
    assert run.year == 2022
    assert run.value("haimen_population") == run.value("haimen_population", "reference")
    assert run.value("haimen_population") > 0


def test_a_failure_is_kept_for_the_page(monkeypatch):
    broken = DemoRun(scale=0)  # out of range: the constructor does not raise
    assert broken.error and "scale" in broken.error
    broken.step()  # and stepping it does nothing
    assert not broken.running

    run = DemoRun(scale=SCALE)

    def fail() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(run.current, "step", fail)
    run.step()
    assert run.error == "RuntimeError: boom" and not run.running


def test_people_in_wan_and_thousands(english):
    assert people(1_100_000) == "1,100k"
    assert people(1_067_100) == "1,067.1k"
    lang.value = "zh"
    assert people(1_067_100) == "106.7万"
    assert people(-1234, signed=True) == "-0.12万"
    assert people(40_000, signed=True) == "+4万"  # a target: no decimals
    assert people(0, signed=True) == "0"  # exactly no difference


def test_scenario_chooser_shows_translated_names(english):
    en = {c["value"]: c["text"] for c in choices("reference")}
    assert en["plan_without_07_livability"] == "Plan without measure 7 (Livable city)"
    lang.value = "zh"
    zh = {c["value"]: c["text"] for c in choices("reference")}
    assert "宜居之地" in zh["plan_without_07_livability"]
    assert list(zh) == reference_scenarios() and set(zh) == set(scenario_titles())


def test_the_address_round_trips_and_refuses_what_the_page_cannot_take():
    values = default_values() | {"hsr_year": never_stop(levers()["hsr_year"]), "reference": "plan", "rng": 7}
    address = Address(values, year=2027, lang="en", view="present", panel="measures")
    query = encode(address)
    assert "hsr_year=never" in query and "year=2027" in query
    assert decode(query) == address
    assert encode(Address(default_values())) == ""  # a fresh page has a clean address
    bad = decode("hsr_year=2024&industrial_jobs_kaifaqu=3550&reference=nowhere&year=1999&lang=fr&zzz=1&rng=5")
    assert bad.values == default_values() | {"rng": 5}  # the one good value applies
    assert set(bad.ignored) == {
        "hsr_year=2024",
        "industrial_jobs_kaifaqu=3550",
        "reference=nowhere",
        "year=1999",
        "lang=fr",
        "zzz=1",
    }


def test_a_scenario_becomes_a_setting_of_the_page():
    late = scenario_setting("plan_hsr_2030")
    assert late["base"] == "plan_hsr_2030" and late["hsr_year"] == 2030
    assert all(check(k, v) == v for k, v in late.items())


def test_nearest_measured_setting():
    plan = key(scenario_values("plan"))
    assert distance(plan, plan) == (0, 0.0)
    assert nearest(plan, ("baseline", "plan")) == ("plan", 0)
    custom = key(scenario_values("plan") | {"hsr_year": 2031})
    found = nearest(custom, ("baseline", "plan", "plan_hsr_2030"))
    assert found == ("plan_hsr_2030", 1)  # one lever apart, and nearer in it than the plan
    far = key(scenario_values("plan") | {k: levers()[k].high for k in MAIN_LEVERS if levers()[k].kind == "int"})
    assert nearest(far, ("plan",)) is None  # too many levers apart: "chance only"


def test_chance_is_read_for_the_setting_measured_or_named_as_nearest():
    plan = key(scenario_values("plan"))
    level = chance(100, plan, "haimen_population", 2025)
    assert level is not None and level.exact and level.scenario == "plan" and level.sd > 0
    rows = list(csv.DictReader((ROOT / "abm/web/seed_spread.csv").open(encoding="utf-8")))
    [row] = [
        r
        for r in rows
        if (r["scale"], r["scenario"], r["reference"], r["outcome"], r["year"])
        == ("100", "plan", "", "haimen_population", "2025")
    ]
    assert level.sd == float(row["sd"])
    difference = chance(100, plan, "haimen_population", 2025, reference="baseline")
    assert difference is not None and difference.exact and 0 < difference.sd < level.sd  # paired: smaller
    same = chance(100, plan, "haimen_population", 2025, reference="plan")
    assert same.sd == 0  # the same setting on both sides
    late = key(scenario_values("plan") | {"hsr_year": 2031})
    near = chance(100, late, "haimen_population", 2030)
    assert near is not None and not near.exact and near.scenario == "plan_hsr_2030"


def test_a_difference_s_chance_comes_from_the_pair_changing_the_same_levers():
    """More industrial jobs than the plan: its difference from the plan has the spread of "plan minus plan without
    measure 2" (the pair that changes those levers), not that of an unrelated pair."""
    jobs = key(scenario_values("plan") | {"industrial_jobs_kaifaqu": 10_000})
    found = chance(100, jobs, "haimen_population", 2025, reference="plan")
    assert found is not None and not found.exact and found.scenario == "plan_without_02_industry"
    rows = {
        (r["scenario"], r["reference"]): float(r["sd"])
        for r in csv.DictReader((ROOT / "abm/web/seed_spread.csv").open(encoding="utf-8"))
        if (r["scale"], r["outcome"], r["year"]) == ("100", "haimen_population", "2025")
    }
    assert found.sd == rows["plan", "plan_without_02_industry"]


def test_the_banner_reads_targets_and_says_when_110_wan_is_reached():
    from abm.web.summary import HEADLINE, progress, reached_text, target_of

    run = DemoRun(**default_values() | {"scale": SCALE})
    while run.year < run.end:
        run.step()
    target = target_of(HEADLINE)
    assert target is targets()["population"]
    p = progress(run, HEADLINE, 2025)
    assert p.gap == target.value - run.value(HEADLINE, year=2025)
    start = run.value(HEADLINE, year=2020)
    assert p.share_done == pytest.approx((p.value - start) / (target.value - start))
    assert p.verdict == ("met" if p.gap <= 0 else "not_met")
    assert progress(run, HEADLINE, 2023).verdict == "on_way"
    reached = run.first_year_at(HEADLINE, target.value)
    text = reached_text(run)
    if reached is None:
        assert text == f"110万:{run.end}年前达不到"
    else:
        assert text.startswith(f"{reached}年达到110万")
        assert run.value(HEADLINE, year=reached) >= target.value > run.value(HEADLINE, year=reached - 1)


def test_the_table_shows_exact_zero_when_both_sides_run_the_same():
    from abm.web.summary import numbers_table

    run = DemoRun(**default_values() | {"scale": SCALE, "reference": "plan"})
    for _ in range(3):
        run.step()
    table = numbers_table(run, 2023)
    cells = [row.split("</td><td>") for row in table.split("<tr><td>")[1:]]
    assert all(c[4] == "0" for c in cells)  # the difference column, every outcome


def test_stories_are_valid_settings_of_the_page():
    from abm.web.stories import CHEAPEST, cheapest, stories

    found = stories()
    assert len(found) == 6
    for story in found:
        assert all(check(k, v) == v for k, v in story.values.items()), story.key
    jobs = next(s for s in found if s.key == "jobs")
    assert jobs.values["industrial_jobs_kaifaqu"] == levers()["industrial_jobs_kaifaqu"].high
    if not (ROOT / "environment/scenarios" / f"{CHEAPEST}.toml").is_file():
        assert cheapest() is None  # no file from the lever search: no button


def test_the_cheapest_mix_preset_reads_the_search_s_scenario_file(tmp_path, monkeypatch):
    """A scenario folder holding the lever search's file: the preset loads it (levers on the page and off it)."""
    import shutil

    import abm.web.stories as stories_module
    import environment.scenario as scenario_module
    from abm.web import runs

    folder = tmp_path / "scenarios"
    folder.mkdir()
    for name in ("baseline", "plan"):
        shutil.copy(scenario_module.SCENARIO_DIR / f"{name}.toml", folder)
    (folder / "cheapest_robust.toml").write_text(
        'name = "cheapest_robust"\nbase = "plan"\n[levers]\nindustrial_jobs_kaifaqu = 6000\nrent_subsidy = 500\n'
    )
    monkeypatch.setattr(scenario_module, "SCENARIO_DIR", folder)
    monkeypatch.setattr(stories_module, "SCENARIO_DIR", folder)
    for cached in (runs.scenario_values, runs.scenario_titles):
        cached.cache_clear()
    try:
        story = stories_module.cheapest()
        assert story is not None and story.values["base"] == "cheapest_robust"
        assert story.values["industrial_jobs_kaifaqu"] == 6000
        run = DemoRun(**story.values | {"scale": SCALE})
        assert run.error is None and run.settings["rent_subsidy"] == 500  # a lever not on the page, from the file
    finally:
        for cached in (runs.scenario_values, runs.scenario_titles):
            cached.cache_clear()


def test_measures_file_is_read_and_ranked():
    from abm.web.measures import COLUMNS, MEASURES_FILE, measure_rows, top_measure

    rows = measure_rows()
    assert {r.measure for r in rows} == set(measure_targets())
    with MEASURES_FILE.open(encoding="utf-8") as f:
        assert tuple(csv.DictReader(f).fieldnames) == COLUMNS
    for r in rows:
        assert r.low <= r.added <= r.high
        if r.verdict == "":
            assert r.yuan_per_added == pytest.approx(r.yuan / r.added, rel=1e-3)
        if r.verdict == "no_measurable_effect":
            assert r.low <= 0
    assert top_measure() == max(rows, key=lambda r: r.added).measure


def test_charts_redrawn_year_by_year_match_charts_drawn_afresh():
    import abm.web.page  # noqa: F401  (fonts, SVG settings)
    from abm.web.show import CHARTS

    with matplotlib.rc_context({"svg.hashsalt": "test"}):  # the same ids in both drawings
        run = DemoRun(scale=SCALE)
        live = [kind(run) for kind in CHARTS]
        first = [chart.svg() for chart in live]
        for _ in range(3):
            run.step()
            years = [chart.svg() for chart in live]
        for kind, a, b in zip(CHARTS, first, years, strict=True):
            assert (a == b) == kind.static, f"{kind.__name__}: a new year must (only) change a yearly chart"
        for kind, svg in zip(CHARTS, years, strict=True):
            assert svg == kind(run).svg(), f"{kind.__name__}: last year's artists left over or limits stale"


def test_a_year_drawn_while_the_run_is_ahead_is_the_same():
    from abm.web.show import Show

    with matplotlib.rc_context({"svg.hashsalt": "test"}):
        show = Show(default_values() | {"scale": SCALE, "rng": 3})
        first = show.frame(2020, lang.value)
        ahead = show.prepare(2020, lang.value)  # what the page does while 2020 is on screen
        assert show.run.year == 2021 and ahead.year == 2021 and ahead.charts != first.charts
        assert show.run_ahead() and show.run.year == show.run.end  # then on to the end
        assert not show.run_ahead()  # once
        again = Show(default_values() | {"scale": SCALE, "rng": 3})
        assert again.ready(2020, lang.value) == first  # a second tab finds the frame drawn


def test_tabs_with_the_same_setting_share_one_run():
    from abm.web.show import show_for

    values = default_values() | {"scale": SCALE, "rng": 5}
    first = show_for(values)
    assert show_for(dict(values)) is first  # a second tab, a reload, a Reset of the same setting
    other = show_for(values | {"hsr_year": 2030})
    assert other is not first and other.run.settings["hsr_year"] == 2030


def test_a_failure_while_preparing_shows_when_its_year_is_reached(monkeypatch):
    from abm.web.show import Show

    show = Show(default_values() | {"scale": SCALE, "rng": 4})

    def fail() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(show.run.current, "step", fail)
    now = show.frame(2020, lang.value)
    ahead = show.prepare(2020, lang.value)
    assert ahead.year == 2021 and ahead.error == "RuntimeError: boom"
    assert show.frame(2020, lang.value) == now and now.error is None  # the year on screen stays as it was


def test_export_is_a_png_of_the_banner_and_the_charts():
    import abm.web.page  # noqa: F401
    from abm.web.charts import TargetsFigure
    from abm.web.export import view_png
    from abm.web.map import MapFigure
    from abm.web.show import Show

    show = Show(default_values() | {"scale": SCALE})
    show.goto(2022)
    png = view_png(show, 2022, [MapFigure, TargetsFigure], "en")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert width >= 2 * 8 * 150 and height > 4 * 150  # two charts side by side at 150 dpi, the banner above


def _script(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True)


def test_bands_script_refuses_a_folder_that_is_not_a_sweep(tmp_path):
    done = _script("scripts/bands.py", str(tmp_path), "--out", str(tmp_path / "bands.csv"))
    assert done.returncode == 2 and "not a sweep results folder" in done.stderr
    assert not (tmp_path / "bands.csv").exists()


def test_bands_quantiles_across_points():
    import pandas as pd

    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from bands import quantiles
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    points = pd.DataFrame(
        {"outcome": "haimen_population", "year": 2025, "point": range(21), "value": [float(v) for v in range(21)]}
    )
    [row] = quantiles(points, "plan", "", 2, 100).to_dict("records")
    assert (row["q05"], row["q50"], row["q95"], row["low"], row["high"], row["points"]) == (1, 10, 19, 0, 20, 21)


def test_measures_script_reads_an_attribution_folder(tmp_path):
    folder = tmp_path / "plan-attribution"
    folder.mkdir()
    (folder / "abm.json").write_text(json.dumps({"kind": "attribution", "scenario": "plan", "scale": 500, "seed": 1}))
    measures = list(measure_targets())
    rows = []
    for seed in (1, 2):
        rows.append({"variant": "scenario", "seed": seed, "births": 100.0, "net_migration": 1000.0})
        for m in measures:  # measure m adds m×10 arrivals a year, measure 1 nothing at all
            arrivals = 1000.0 - (10.0 * m if m > 1 else 0.0) + (seed - 1.5)
            rows.append({"variant": f"without_{m}", "seed": seed, "births": 100.0, "net_migration": arrivals})
    with (folder / "runs.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    out = tmp_path / "measures.csv"
    done = _script("scripts/measures.py", str(folder), "--out", str(out))
    assert done.returncode == 0, done.stderr
    table = {int(r["measure"]): r for r in csv.DictReader(out.open(encoding="utf-8"))}
    years = 2025 - 2022 + 1
    assert float(table[2]["added_mean"]) == 20 * years
    assert table[1]["verdict"] == "no_measurable_effect"
    paying = {lv.measure for lv in levers().values() if lv.unit.startswith("yuan")}
    for m in measures[1:]:
        if m in paying and float(table[m]["yuan_mean"]) > 0:
            assert float(table[m]["yuan_per_added"]) == pytest.approx(
                float(table[m]["yuan_mean"]) / float(table[m]["added_mean"]), abs=1
            )
        elif float(table[m]["yuan_mean"]) == 0:
            assert table[m]["verdict"] == "no_cost_counted"
    bad = _script("scripts/measures.py", str(tmp_path), "--out", str(tmp_path / "other.csv"))
    assert bad.returncode == 2 and "abm attribute" in bad.stderr and not (tmp_path / "other.csv").exists()


def test_seed_spread_script_writes_paired_differences(tmp_path):
    out = tmp_path / "spread.csv"
    done = _script(
        "scripts/seed_spread.py", "--seeds", "2", "--scales", "500", "--all-at", "0", "--end", "2021", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    scenarios = {(r["scenario"], r["reference"]) for r in rows}
    assert scenarios == {("plan", ""), ("baseline", ""), ("plan", "baseline")}
    by = {(r["scenario"], r["reference"], r["outcome"]): r for r in rows}
    difference = float(by["plan", "baseline", "haimen_population"]["mean"])
    levels = float(by["plan", "", "haimen_population"]["mean"]) - float(by["baseline", "", "haimen_population"]["mean"])
    assert difference == pytest.approx(levels, abs=1)


@pytest.mark.parametrize("chosen", ["zh", "en"])
def test_map_labels_never_overlap_and_arrows_follow_the_run(chosen):
    """The region map's and the towns' words stand clear of each other in both languages, early and late (the
    towns' growth moves them apart or together), and each arrow is as wide as the run's moves from its origin."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    import abm.web.page  # noqa: F401  (fonts)
    from abm.web.map import MapFigure
    from abm.web.text import writing_in

    run = DemoRun(scale=SCALE)
    with writing_in(chosen):
        for year in (2021, 2030):
            while run.year < year:
                run.step()
            figure = MapFigure(run)
            figure.redraw(year)
            renderer = FigureCanvasAgg(figure.figure).get_renderer()
            for ax in (figure.region, figure.towns):
                words = [a for a in ax.texts if a.get_text().strip()]
                boxes = [w.get_window_extent(renderer) for w in words]
                for i, a in enumerate(boxes):
                    for j in range(i + 1, len(boxes)):
                        assert not a.overlaps(boxes[j]), (year, words[i].get_text(), words[j].get_text())
            moves = run.breakdown("moves_into_haimen", year=year)
            widths = {a.xyann: a.arrow_patch.get_linewidth() for a in figure.region.texts if a.arrow_patch is not None}
            flows = [moves.get(k, 0.0) for k in figure.outside if moves.get(k, 0.0) > 0]
            assert len(widths) == len(flows) > 0
            assert sorted(widths.values()) == pytest.approx(sorted(1 + 9 * f / max(flows) for f in flows), rel=1e-6)


def test_after_plan_is_a_choice_that_reaches_the_model_and_the_address():
    """The plan as written stops its yearly programmes after 2025; the page offers the parameter's declared values,
    a fresh page runs the plan's, a shared link carries another, and continuing them spends more after 2025."""
    from abm.web.summary import setting_line
    from environment.settings import parameters

    assert [c["value"] for c in choices("after_plan")] == list(parameters()["after_plan"].values)
    assert default_values()["after_plan"] == scenario_values("plan")["after_plan"] == "stop"
    assert scenario_setting("plan_continued")["after_plan"] == "continue"
    address = decode("after_plan=continue")
    assert address.values["after_plan"] == "continue" and encode(address) == "after_plan=continue"
    assert decode("after_plan=forever").ignored == ("after_plan=forever",)
    with pytest.raises(ValueError):
        check("after_plan", "forever")
    run = DemoRun(**default_values() | {"scale": SCALE, "after_plan": "continue", "reference": "plan"})
    while run.year < 2026:
        run.step()
    assert run.settings["after_plan"] == "continue"
    assert "2025年后的年度措施 按规划值延续" in setting_line(run)
    assert run.value("spending", year=2025) == run.value("spending", "reference", 2025)  # the same until 2025
    assert run.value("spending", year=2026) > run.value("spending", "reference", 2026)


def test_spending_chart_shows_the_budget_by_measure_and_capital_from_outside_it():
    """The bars are the run's spending from Haimen's budget by measure; capital financed outside it (the transport
    projects, in their opening year) is written beside its group, and the year's total under the names."""
    import abm.web.page  # noqa: F401  (fonts)
    from abm.web.charts import SpendingFigure
    from abm.web.text import big_yuan

    run = DemoRun(scale=SCALE)
    while run.year < run.end:
        run.step()
    outside = {y: run.breakdown("external_capital", year=y) for y in range(2022, run.end + 1)}
    year = next(y for y, parts in outside.items() if sum(parts.values()) > 0)
    figure = SpendingFigure(run)
    figure.redraw(year)
    bars = [p.get_width() for p in figure.ax.patches]
    paid = run.breakdown("spending", year=year)
    assert bars == pytest.approx([paid.get(f"{m:02d}", 0.0) / 1e4 for m in figure.groups])
    words = " ".join(a.get_text() for a in [*figure.ax.texts, *figure.figure.texts])
    for m, yuan in outside[year].items():
        if yuan > 0:
            assert f"另有财政外投资{big_yuan(yuan)}" in words, m
    assert f"合计 {big_yuan(sum(paid.values()))}" in words


TABS_DRAWING = """
import matplotlib
import solara.server.app  # noqa: F401  (Solara's patches, as under `abm serve`: matplotlib's settings per tab)
from solara.server import kernel_context, patch

import abm.web.page  # noqa: F401  (the server's settings: SVG text stays text)
from abm.web.controls import default_values
from abm.web.map import MapFigure
from abm.web.show import Show

patch.patch_matplotlib()
tab = kernel_context.create_dummy_context()
with tab:
    matplotlib.rcParams["svg.fonttype"] = "path"  # this tab's own setting
    frame = Show(default_values() | {"scale": %(scale)d, "rng": 6}).frame(2020, "zh")
assert all(b"<text" in svg for svg in frame.charts), "drawn with the tab's settings, not the server's"

get_context, draw_map = kernel_context.get_current_context, MapFigure.svg


def close_tab():  # what the tab's close, in another thread, does to the threads serving it
    for key, context in list(kernel_context.current_context.items()):
        if context is tab:
            del kernel_context.current_context[key]
    tab.closed_event.set()


def closed_meanwhile():  # the tab closes between Solara's has_current_context() and this call
    close_tab()
    return get_context()


def closed_while_drawing(self, *args, **kwargs):
    close_tab()
    return draw_map(self, *args, **kwargs)


with tab:
    kernel_context.get_current_context, MapFigure.svg = closed_meanwhile, closed_while_drawing
    frame = Show(default_values() | {"scale": %(scale)d, "rng": 7}).frame(2020, "zh")
    kernel_context.get_current_context, MapFigure.svg = get_context, draw_map
    assert not kernel_context.has_current_context(), "the closed tab was handed back"
assert frame.chart_errors == (None,) * len(frame.charts), frame.chart_errors
print("drawn")
"""


def test_frames_are_drawn_with_the_servers_settings_even_when_the_tab_closes_mid_draw():
    """Under Solara a tab has its own matplotlib settings, while a Show's charts are shared by tabs and may be
    drawn as a tab closes (the end of a demo): they are drawn with the server's settings, and nothing fails."""
    done = subprocess.run(
        [sys.executable, "-c", TABS_DRAWING % {"scale": SCALE}], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0 and done.stdout.strip() == "drawn", done.stderr[-3000:]
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
