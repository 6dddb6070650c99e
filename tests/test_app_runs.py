"""The web demo's model and controls, without a browser: registry-driven controls, paired runs, errors kept."""

from __future__ import annotations

import matplotlib
import pytest
from mesa.visualization.solara_viz import _build_model_init_kwargs

from abm.web.controls import choices, model_params
from abm.web.runs import MAIN_LEVERS, DemoRun, never_stop, reference_scenarios, scale_choices, scenario_titles
from abm.web.text import UNIT_ZH, lang, people
from environment.settings import levers
from environment.targets import measure_targets

SCALE = 500  # quick


def test_controls_come_from_the_lever_registry():
    params = model_params()
    assert {levers()[k].measure for k in MAIN_LEVERS} == set(measure_targets())  # every measure group has one
    for key in MAIN_LEVERS:
        lever, control = levers()[key], params[key]
        assert lever.name_zh in control["label"]
        assert control["min"] == lever.low
        assert control["max"] == (never_stop(lever) if lever.never else lever.high)
        assert control["value"] == (never_stop(lever) if lever.plan is None else lever.plan)
        assert lever.unit in UNIT_ZH or lever.kind == "year"
    assert params["reference"]["values"][:2] == ["baseline", "plan"]
    assert params["scale"]["value"] in scale_choices()


def test_last_stop_of_a_year_slider_means_never():
    run = DemoRun(scale=SCALE, hsr_year=never_stop(levers()["hsr_year"]))
    assert run.error is None
    assert run.current.settings["hsr_year"] is None


def test_same_setting_on_both_sides_gives_no_difference():
    values = {k: v["value"] for k, v in model_params().items()} | {"scale": SCALE, "reference": "plan"}
    run = DemoRun(**values)
    for _ in range(2):
        run.step()
    assert run.year == 2022
    assert run.value("haimen_population") == run.value("haimen_population", "reference")
    assert run.value("haimen_population") > 0


def test_mesa_reset_recreates_the_run():
    run = DemoRun(scale=SCALE)
    values = {k: v["value"] for k, v in model_params().items()} | {"scale": SCALE, "reference": "plan_hsr_2030"}
    kwargs = _build_model_init_kwargs(run, values, add_scenario_when_empty=True, require_model_accepts_scenario=True)
    again = type(run)(**kwargs)
    assert again.error is None
    assert again.reference_name == "plan_hsr_2030" and again.reference.settings["hsr_year"] == 2030


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


def test_every_named_scenario_is_offered():
    assert "plan_without_07_livability" in reference_scenarios()


def test_people_in_wan_and_thousands():
    from abm.web.text import lang

    assert people(1_067_100) == "106.7万"
    assert people(-1234, signed=True) == "-0.12万"
    lang.value = "en"
    try:
        assert people(1_067_100) == "1,067.1k"
    finally:
        lang.value = "zh"


@pytest.fixture
def english():
    lang.value = "en"
    yield
    lang.value = "zh"


def test_scenario_chooser_shows_translated_names(english):
    en = {c["value"]: c["text"] for c in choices("reference")}
    assert en["plan_without_07_livability"] == "Plan without measure 7 (Livable city)"
    lang.value = "zh"
    zh = {c["value"]: c["text"] for c in choices("reference")}
    assert "宜居之地" in zh["plan_without_07_livability"]
    assert list(zh) == reference_scenarios() and set(zh) == set(scenario_titles())
    assert [c["text"] for c in choices("scale")] == [f"1:{n}" for n in scale_choices()]


def test_charts_redrawn_year_by_year_match_charts_drawn_afresh():
    import abm.web.page  # noqa: F401  (fonts, SVG settings)
    from abm.web.charts import OriginsFigure, SpendingFigure, TargetsFigure
    from abm.web.map import MapFigure

    kinds = (MapFigure, TargetsFigure, OriginsFigure, SpendingFigure)
    with matplotlib.rc_context({"svg.hashsalt": "test"}):  # the same ids in both drawings
        run = DemoRun(scale=SCALE)
        live = [kind(run) for kind in kinds]
        first = [chart.svg() for chart in live]
        for _ in range(3):
            run.step()
            years = [chart.svg() for chart in live]
        assert all(a != b for a, b in zip(first, years, strict=True))  # every chart shows the new year
        for kind, svg in zip(kinds, years, strict=True):
            assert svg == kind(run).svg(), f"{kind.__name__}: last year's artists left over or limits stale"


def test_a_year_drawn_while_the_run_is_a_year_ahead_is_the_same():
    from abm.web.page import Show

    with matplotlib.rc_context({"svg.hashsalt": "test"}):
        show = Show(DemoRun(scale=SCALE))
        first = show.frame(2020, lang.value)
        ahead = show.prepare(2020, lang.value)  # what the page does while 2020 is on screen
        assert show.run.year == 2021 and ahead.year == 2021 and ahead.status != first.status
        assert "2021" in ahead.status and "2021" not in first.status
        show.frames.clear()
        assert show.frame(2020, lang.value) == first  # the run's next year does not leak into 2020's frame
        assert show.prepare(2020, lang.value) == ahead  # and preparing again does not step again
        assert show.run.year == 2021


def test_a_failure_while_preparing_shows_when_its_year_is_reached(monkeypatch):
    from abm.web.page import Show

    show = Show(DemoRun(scale=SCALE))

    def fail() -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(show.run.current, "step", fail)
    now = show.frame(2020, lang.value)
    ahead = show.prepare(2020, lang.value)
    assert ahead.year == 2021 and ahead.error == "RuntimeError: boom"
    assert show.frame(2020, lang.value) == now and now.error is None  # the year on screen stays as it was
