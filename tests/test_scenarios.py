"""Scenario files: every one loads and runs, inheritance resolves as documented, bad files fail clearly."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from environment import scenario as sc
from environment.scenario import Scenario, ScenarioError, all_scenarios, load
from environment.settings import levers, parameters, resolve, run_options
from environment.targets import PLAN_ADOPTED
from experiments.runner import RunSpec, run_many

SCENARIOS = all_scenarios()
NAMES = [p.stem for p in SCENARIOS]
MEASURE_FILES = {int(m.group(1)): p for p in SCENARIOS if (m := re.fullmatch(r"measure_(\d\d)_\w+", p.stem))}
WITHOUT_FILES = {int(m.group(1)): p for p in SCENARIOS if (m := re.fullmatch(r"plan_without_(\d\d)_\w+", p.stem))}


def _default(key: str):
    return resolve()[key]


def _plan_levers(measures) -> dict:
    """Modelled levers of ``measures`` whose plan value differs from their baseline."""
    return {
        k: lv.plan for k, lv in levers().items() if lv.measure in measures and lv.modelled and lv.plan != lv.baseline
    }


# ------------------------------------------------------------ the named files
def test_the_named_scenarios_are_there():
    for name in ("baseline", "plan", "plan_hsr_2030", "plan_tunnel_2031", "plan_airport_2030", "plan_airport_never"):
        assert name in NAMES
    assert sorted(MEASURE_FILES) == list(range(1, 11))
    assert sorted(WITHOUT_FILES) == list(range(1, 11))


@pytest.mark.parametrize("path", SCENARIOS, ids=NAMES)
def test_scenario_loads(path: Path):
    s = load(path)
    assert isinstance(s, Scenario)
    assert s.name == path.stem  # the default output folder is results/<file name>
    assert s.description.strip()
    assert s.source == str(path.resolve())
    assert load(path.stem) == s  # by name as well as by path
    resolve(s.settings)  # every setting is a valid lever or parameter value
    assert s.start == 2020 and 2020 < s.end <= run_options()["end"].high
    assert 1 <= s.scale <= 1000


def test_built_in_scenarios_have_distinct_titles_in_both_languages(tmp_path: Path):
    scenarios = [load(p) for p in SCENARIOS]
    for language in ("zh", "en"):
        titles = [getattr(s, f"title_{language}") for s in scenarios]
        assert all(t.strip() for t in titles), f"a built-in scenario has no title_{language}"
        assert len(set(titles)) == len(titles), f"two built-in scenarios share a title_{language}"
    child = _write(tmp_path, 'base = "plan"\n', "child.toml")
    assert load(child).title_zh == "" and load(child).title_en == ""  # a title names its own file only


@pytest.mark.parametrize("path", SCENARIOS, ids=NAMES)
def test_scenario_states_only_what_differs_from_the_baseline(path: Path):
    for key, value in load(path).settings.items():
        assert value != _default(key), f"{path.stem}: {key} = {value!r} is its baseline value"
        assert key not in levers() or levers()[key].modelled, f"{path.stem}: {key} is not modelled"


def test_settings_equal_to_baseline_are_dropped(tmp_path: Path):
    file = tmp_path / "same.toml"
    seats, beta = levers()["school_seats"].baseline, parameters()["beta_income"].default
    file.write_text(f'[levers]\nhsr_year = "never"\nschool_seats = {seats}\n[parameters]\nbeta_income = {beta}\n')
    assert load(file).settings == {}
    # and a base's lever set back to its baseline value disappears
    (tmp_path / "plan.toml").write_text('plan_measures = "all"\n')
    file.write_text('base = "plan"\n[levers]\nhsr_year = "never"\n')
    settings = load(file).settings
    assert "hsr_year" not in settings
    assert settings == {k: v for k, v in _plan_levers(range(1, 11)).items() if k != "hsr_year"}


def test_baseline_has_no_settings_and_plan_has_every_measure():
    assert load("baseline").settings == {}
    plan = load("plan")
    assert plan.settings == _plan_levers(range(1, 11))
    assert {levers()[k].measure for k in plan.settings} == set(range(1, 11))
    assert "population_information" not in plan.settings  # not modelled


@pytest.mark.parametrize(
    ("name", "change"),
    [
        ("plan_hsr_2030", {"hsr_year": 2030}),
        ("plan_tunnel_2031", {"tunnel_year": 2031}),
        ("plan_airport_2030", {"airport_year": 2030}),
    ],
)
def test_variants_of_the_plan_inherit_from_it(name: str, change: dict):
    plan, variant = load("plan"), load(name)
    assert variant.settings == plan.settings | change
    assert (variant.scale, variant.seed, variant.start, variant.end) == (plan.scale, plan.seed, plan.start, plan.end)


def test_plan_airport_never_is_the_plan_without_the_airport():
    plan, variant = load("plan"), load("plan_airport_never")
    assert plan.settings["airport_year"] == levers()["airport_year"].plan
    assert variant.settings == {k: v for k, v in plan.settings.items() if k != "airport_year"}
    assert resolve(variant.settings).airport_year is None


@pytest.mark.parametrize("measure", range(1, 11))
def test_measure_file_sets_only_its_measures_levers(measure: int):
    s = load(MEASURE_FILES[measure])
    assert s.settings, f"measure {measure} sets nothing"
    assert {levers()[k].measure for k in s.settings} == {measure}
    assert s.settings == _plan_levers([measure])


@pytest.mark.parametrize("measure", range(1, 11))
def test_plan_without_a_measure_is_the_plan_with_that_measure_at_baseline(measure: int):
    plan, s = load("plan"), load(WITHOUT_FILES[measure])
    assert s.settings == {k: v for k, v in plan.settings.items() if levers()[k].measure != measure}
    assert s.settings != plan.settings
    assert (s.scale, s.seed, s.start, s.end) == (plan.scale, plan.seed, plan.start, plan.end)


def test_with_run_overrides_and_checks_run_options():
    s = load("plan").with_run(scale=200, seed=7, years="2020:2023")
    assert (s.scale, s.seed, s.start, s.end) == (200, 7, 2020, 2023)
    assert s.settings == load("plan").settings
    assert load("plan").with_run() == load("plan")
    for kwargs, key in [({"scale": 0}, "--scale"), ({"seed": -1}, "--seed"), ({"years": "2020:2051"}, "--years")]:
        with pytest.raises(ScenarioError, match=re.escape(key)):
            load("plan").with_run(**kwargs)


# ------------------------------------------------------------------ running
@pytest.fixture(scope="module")
def short_runs() -> dict[str, dict]:
    """Every scenario run to 2023 at scale 200, on the same seed."""
    specs = [RunSpec(load(p).settings, scale=200, seed=1, end=2023, label=p.stem) for p in SCENARIOS]
    return dict(zip(NAMES, run_many(specs, n_jobs=2), strict=True))


@pytest.mark.parametrize("name", NAMES)
def test_scenario_runs(name: str, short_runs):
    tables = short_runs[name]
    summary, yearly = tables["summary"], tables["yearly"]
    assert summary.year.tolist() == [2020, 2021, 2022, 2023]
    assert np.isfinite(summary.haimen_population).all()
    assert (summary.haimen_population.between(900_000, 1_200_000)).all()
    assert summary.haimen_population.iloc[0] == pytest.approx(991_782, rel=1e-6)  # the 2020 census
    assert len(yearly) == 4 * yearly.place.nunique()
    haimen = yearly[yearly.in_haimen].groupby("year").population.sum()
    np.testing.assert_allclose(haimen.to_numpy(), summary.haimen_population.to_numpy(), rtol=1e-9)


def test_scenarios_share_the_years_before_the_plan(short_runs):
    """Same seed, same dice: every scenario's 2020–2021 equals the baseline's; the plan differs from 2022."""
    base = short_runs["baseline"]["summary"]
    before = base.year < PLAN_ADOPTED
    for name, tables in short_runs.items():
        summary = tables["summary"]
        np.testing.assert_array_equal(
            summary[before].to_numpy(dtype=float), base[before].to_numpy(dtype=float), err_msg=name
        )
    plan = short_runs["plan"]["summary"]
    assert not np.allclose(plan[~before].haimen_population, base[~before].haimen_population)


# ------------------------------------------------------------------- errors
def _write(tmp_path: Path, text: str, name: str = "bad.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# (file text, key, value as shown, what is allowed)
BAD_FILES = {
    "unknown top-level key": ('colour = "red"\n', "colour", "'red'", "allowed: base, description"),
    "unknown lever": ("[levers]\nhsr_yaer = 2030\n", "levers.hsr_yaer", "2030", "did you mean 'hsr_year' ("),
    "unknown parameter": ("[parameters]\nbeta_incme = 2\n", "parameters.beta_incme", "2", "beta_income"),
    "parameter under levers": ("[levers]\nbeta_income = 2\n", "levers.beta_income", "2", "put it under [parameters]"),
    "lever under parameters": ("[parameters]\nhsr_year = 2030\n", "parameters.hsr_year", "2030", "under [levers]"),
    "lever above its range": ("[levers]\nhsr_year = 2040\n", "levers.hsr_year", "2040", "from 2025 to 2035"),
    "lever below its range": ("[levers]\nschool_seats = -5\n", "levers.school_seats", "-5", "from 0 to 10000"),
    "share above one": (
        "[levers]\nnonlocal_school_access = 1.5\n",
        "levers.nonlocal_school_access",
        "1.5",
        "from 0 to 1",
    ),
    "parameter out of range": ("[parameters]\nbeta_income = 99\n", "parameters.beta_income", "99", "out of range"),
    "parameter NaN": ("[parameters]\nbeta_income = nan\n", "parameters.beta_income", "nan", "finite"),
    "parameter infinite": ("[parameters]\nbeta_income = inf\n", "parameters.beta_income", "inf", "finite"),
    "lever NaN": ("[levers]\ncommercial_amenity = nan\n", "levers.commercial_amenity", "nan", "finite"),
    "year NaN": ("[levers]\nhsr_year = nan\n", "levers.hsr_year", "nan", "finite"),
    "year a word": ('[levers]\nhsr_year = "soon"\n', "levers.hsr_year", "'soon'", '"never"'),
    "huge whole number": (
        "[levers]\nschool_seats = 1" + "0" * 25 + "\n",
        "levers.school_seats",
        "1000",
        "out of range",
    ),
    "huge float": ("[levers]\ncommercial_amenity = 1e400\n", "levers.commercial_amenity", "inf", "finite"),
    "not-modelled lever": ("[levers]\nprovident_fund = true\n", "levers.provident_fund", "True", "not modelled"),
    "string for a number": ('[levers]\nschool_seats = "2030"\n', "levers.school_seats", "'2030'", "must be a number"),
    "number for a bool": ("[levers]\nbus_integration = 1\n", "levers.bus_integration", "1", "true or false"),
    "string for a bool": ('[levers]\nbus_integration = "yes"\n', "levers.bus_integration", "'yes'", "true or false"),
    "bool for a number": ("[levers]\nschool_seats = true\n", "levers.school_seats", "True", "must be a number"),
    "fraction for a whole number": ("[levers]\nschool_seats = 10.5\n", "levers.school_seats", "10.5", "whole number"),
    "levers not a table": ("levers = 3\n", "levers", "3", "[levers]"),
    "unknown run key": ("[run]\nseeds = 3\n", "run.seeds", "3", "did you mean 'seed'?"),
    "years beyond 2050": ('[run]\nyears = "2020:2099"\n', "run.years", "'2020:2099'", "2050"),
    "years malformed": ('[run]\nyears = "2020-2030"\n', "run.years", "'2020-2030'", '"2020:END"'),
    "years not from 2020": ('[run]\nyears = "2021:2030"\n', "run.years", "'2021:2030'", '"2020:END"'),
    "years empty span": ('[run]\nyears = "2020:2020"\n', "run.years", "'2020:2020'", "from 2021"),
    "years a number": ("[run]\nyears = 2030\n", "run.years", "2030", '"2020:END"'),
    "scale 0": ("[run]\nscale = 0\n", "run.scale", "0", "from 1 to 1000"),
    "scale 5000": ("[run]\nscale = 5000\n", "run.scale", "5000", "from 1 to 1000"),
    "scale fraction": ("[run]\nscale = 2.5\n", "run.scale", "2.5", "whole number"),
    "scale a string": ('[run]\nscale = "10"\n', "run.scale", "'10'", "must be a number"),
    "negative seed": ("[run]\nseed = -1\n", "run.seed", "-1", "from 0"),
    "plan_measures beyond 10": ("plan_measures = [11]\n", "plan_measures", "[11]", "from 1 to 10"),
    "plan_measures a word": ('plan_measures = "most"\n', "plan_measures", "'most'", '"all"'),
    "name not a string": ("name = 5\n", "name", "5", "string"),
    "title not a string": ("title_zh = 5\n", "title_zh", "5", "string"),
    "missing base": ('base = "nowhere"\n', "base", "'nowhere'", "no scenario of that name"),
    "empty file": ("", "file", "", "is empty"),
    "whitespace only": ("  \n\t\n", "file", "", "is empty"),
    "base not a string": ("base = 1\n", "base", "1", "name of another scenario"),
    "invalid TOML": ("[levers\nhsr_year = 2030\n", "TOML", "", "not valid TOML"),
}


@pytest.mark.parametrize(("text", "key", "value", "allowed"), list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_file_raises_scenario_error_naming_file_key_value_and_allowed(tmp_path, text, key, value, allowed):
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load(path)
    message = str(info.value)
    assert message.startswith(str(path) + ": "), message
    assert f": {key}" in message, message
    if value:
        assert f"= {value}" in message, message
    assert allowed in message, message
    assert "\n" not in message
    assert info.value.key == key and info.value.where == str(path)


def test_the_same_file_by_any_path_is_one_source(tmp_path, monkeypatch):
    from experiments.sweep import load as load_sweep

    path = _write(tmp_path, 'base = "plan"\n', "mine.toml")
    (tmp_path / "link.toml").symlink_to(path)
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    sources = {load(p).source for p in (path, "../mine.toml", tmp_path / "sub" / ".." / "mine.toml", "../link.toml")}
    assert sources == {str(path.resolve())}
    sweep = _write(tmp_path, '[design]\nkind = "grid"\n[vary]\nrent_subsidy = { values = [0, 600] }\n', "s.toml")
    assert load_sweep("../s.toml").source == load_sweep(sweep).source == str(sweep.resolve())


# ------------------------------------------------------------ names in Chinese and English
def test_a_levers_chinese_or_english_name_is_taken_for_its_key(tmp_path):
    path = _write(
        tmp_path,
        '[levers]\n"人才购房补贴" = 80000\n"北沿江高铁(海门北站)开通年份" = 2030\n"Rent subsidy" = 900\n'
        '[parameters]\n"跨城市迁移成本" = 5.0\n',
        "mine.toml",
    )  # the HSR's name with ASCII brackets where levers.toml has full-width ones
    assert load(path).settings == {
        "talent_purchase_subsidy": 80000,
        "hsr_year": 2030,
        "rent_subsidy": 900,
        "moving_cost_intercity": 5.0,
    }
    settings = resolve({"人才购房补贴": 80000})
    assert settings["talent_purchase_subsidy"] == 80000 and "人才购房补贴" not in settings


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('[levers]\n"购房补贴" = 1\n', ["levers.购房补贴", "did you mean 'talent_purchase_subsidy' (人才购房补贴 / "]),
        ('[levers]\n"高铁开通" = 2030\n', ["levers.高铁开通", "did you mean 'hsr_year' (北沿江高铁"]),
        ('[levers]\n"跨城市迁移成本" = 5.0\n', ["levers.跨城市迁移成本", "put it under [parameters]"]),
        (
            '[levers]\nrent_subsidy = 1\n"市场租房补贴" = 2\n',
            ["levers.市场租房补贴", "already set here (as 'rent_subsidy')"],
        ),
        ("[levers]\n人才购房补贴 = 1\n", ["not valid TOML", 'a name as a key goes in quotes: "人才购房补贴" = …']),
    ],
    ids=["part of a name", "characters of a name", "a parameter under levers", "set twice", "name without quotes"],
)
def test_a_near_miss_of_a_name_suggests_the_key(tmp_path, text, fragments):
    path = _write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load(path)
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)


def test_a_sweep_varies_a_lever_named_in_chinese(tmp_path):
    from experiments.sweep import SweepError
    from experiments.sweep import load as load_sweep

    design = '[design]\nkind = "grid"\n[vary]\n'
    sweep = _write(tmp_path, design + '"人才购房补贴" = { values = [0, 50000] }\n', "s.toml")
    assert [f.key for f in load_sweep(sweep).factors] == ["talent_purchase_subsidy"]
    twice = _write(tmp_path, design + 'rent_subsidy = {}\n"市场租房补贴" = {}\n', "t.toml")
    with pytest.raises(SweepError, match="rent_subsidy is already varied here"):
        load_sweep(twice)
    near = _write(tmp_path, design + '"购房补贴" = {}\n', "u.toml")
    with pytest.raises(SweepError, match="did you mean 'talent_purchase_subsidy'"):
        load_sweep(near)


# ------------------------------------------------------------ the template (abm new-scenario)
@pytest.mark.parametrize("base", ["baseline", "plan", "plan_hsr_2030"])
def test_the_template_is_its_base_and_lists_every_setting(tmp_path, base):
    path = tmp_path / "my_plan.toml"
    text = sc.template(path, base)
    path.write_text(text, encoding="utf-8")
    mine, start = load(path), load(base)
    assert mine.name == "my_plan" and mine.settings == start.settings
    assert (mine.scale, mine.seed, mine.start, mine.end) == (start.scale, start.seed, start.start, start.end)
    assert f'base = "{base}"' in text and 'without a base line a file starts from "baseline"' in text
    lines = text.splitlines()
    for key, lv in levers().items():
        at = lines.index(f"# {key} = {sc._toml(start.settings.get(key, lv.baseline))}")
        assert lines[at - 1].startswith(f"# {lv.name_zh} · {lv.name_en}: {lv.allowed()}; "), key
    for key, p in parameters().items():
        assert any(line.startswith(f"# {key} = ") and p.name_zh in line and p.name_en in line for line in lines), key
    # every commented setting, uncommented as written, is valid and changes nothing
    uncommented = re.sub(r"^# (\w+ = )", r"\1", text, flags=re.MULTILINE)
    path.write_text(uncommented, encoding="utf-8")
    assert load(path).settings == start.settings
    assert (load(path).scale, load(path).end) == (start.scale, start.end)


def test_the_template_refuses_a_bad_file_name_or_base(tmp_path):
    for name in ("my plan.toml", "notes.txt"):
        with pytest.raises(ScenarioError, match=r"a name ending in \.toml"):
            sc.template(tmp_path / name)
    with pytest.raises(ScenarioError, match="base = 'plann': no scenario of that name"):
        sc.template(tmp_path / "mine.toml", "plann")


def test_the_docs_document_every_key_of_a_scenario_file():
    section = (Path(__file__).resolve().parent.parent / "docs/reference/scenarios.md").read_text(encoding="utf-8")
    for key in [*sc.TOP_KEYS, *sc.RUN_KEYS]:
        assert f"`{key}`" in section or f"`[{key}]`" in section, key
    assert f"at most\n**{sc.MAX_BASE_DEPTH} bases**" in section or f"**{sc.MAX_BASE_DEPTH} bases**" in section
    assert '**`base` defaults to `"baseline"`**' in section


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.toml"
    with pytest.raises(ScenarioError, match=re.escape(f"{path}: file: no such scenario file")):
        load(path)
    with pytest.raises(ScenarioError, match="no such scenario file"):
        load(tmp_path)  # a folder is not a scenario file


def test_unknown_scenario_name_suggests_the_closest():
    with pytest.raises(ScenarioError, match=r"plann: scenario: .*did you mean 'plan'\?"):
        load("plann")
    with pytest.raises(ScenarioError, match=r"known scenarios: baseline, "):
        load("zzz_no_such_thing")


def test_cyclic_bases(tmp_path):
    _write(tmp_path, 'base = "b"\n', "a.toml")
    _write(tmp_path, 'base = "a"\n', "b.toml")
    _write(tmp_path, 'base = "self"\n', "self.toml")
    for name in ("a", "b", "self"):
        with pytest.raises(ScenarioError, match=r"base = '\w+': scenarios' bases form a cycle") as info:
            load(tmp_path / f"{name}.toml")
        assert str(info.value).startswith(f"{tmp_path / name}.toml: ")  # the file given
    with pytest.raises(ScenarioError, match=re.escape("cycle (a → b → a)")):
        load(tmp_path / "a.toml")


def test_base_errors_name_the_file_at_fault(tmp_path):
    _write(tmp_path, "[levers]\nhsr_year = 1999\n", "parent.toml")
    child = _write(tmp_path, 'base = "parent"\n', "child.toml")
    with pytest.raises(ScenarioError, match=re.escape(str(tmp_path / "parent.toml")) + r": levers.hsr_year = 1999"):
        load(child)


def test_inheritance_beside_the_file(tmp_path):
    _write(tmp_path, '[levers]\nrent_subsidy = 600\n[run]\nscale = 50\nseed = 4\nyears = "2020:2030"\n', "parent.toml")
    child = _write(tmp_path, 'base = "parent"\ndescription = "child"\n[levers]\nschool_seats = 100\n', "child.toml")
    s = load(child)
    assert s.name == "child" and s.description == "child"
    assert s.settings == {"rent_subsidy": 600, "school_seats": 100}
    assert (s.scale, s.seed, s.start, s.end) == (50, 4, 2020, 2030)


@pytest.mark.parametrize("name", ["../outside", "/tmp/elsewhere", "a/b", "", "."])
def test_scenario_name_must_be_a_plain_folder_name(tmp_path, name):
    """`abm run` writes to results/<name>, replacing what is there: a name must not lead out of results/."""
    path = _write(tmp_path, f'name = "{name}"\n')
    with pytest.raises(ScenarioError, match=re.escape(f"{path}: name = {name!r}: ")):
        load(path)


def test_binary_file_is_named(tmp_path):
    path = tmp_path / "binary.toml"
    path.write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ScenarioError, match=re.escape(f"{path}: file: not a text file")):
        load(path)


def test_unreadable_file_is_named(tmp_path, monkeypatch):
    path = _write(tmp_path, 'name = "x"\n')

    def refuse(self):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", refuse)
    with pytest.raises(ScenarioError, match=re.escape(f"{path}: file: cannot be read (Permission denied)")):
        load(path)


def test_huge_value_is_cut_in_the_message(tmp_path):
    path = _write(tmp_path, f'[levers]\nschool_seats = "{"9" * 100_000}"\n')
    with pytest.raises(ScenarioError) as info:
        load(path)
    assert len(str(info.value)) < 400 and "…" in str(info.value)


def test_base_chain_has_a_depth_limit_and_names_the_file_given(tmp_path, monkeypatch):
    deepest = sc.MAX_BASE_DEPTH + 5
    for i in range(deepest):
        _write(tmp_path, f'base = "s{i + 1}"\n', f"s{i}.toml")
    _write(tmp_path, "[levers]\nschool_seats = 5\n", f"s{deepest}.toml")
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ScenarioError) as info:
        load("s0.toml")  # 25 bases
    message = str(info.value)
    assert message.startswith(f"s0.toml: base = 's1': a scenario may build on at most {sc.MAX_BASE_DEPTH} bases")
    assert info.value.where == "s0.toml" and "(s0 → s1 → s2 → … →" in message
    assert load(f"s{deepest - sc.MAX_BASE_DEPTH}.toml").settings == {"school_seats": 5}  # exactly the limit
    with pytest.raises(ScenarioError, match=r"^s4\.toml: base = 's5': a scenario may build on at most"):
        load(f"s{deepest - sc.MAX_BASE_DEPTH - 1}.toml")  # one more


def test_a_file_anywhere_may_build_on_a_built_in_scenario(tmp_path):
    mine = _write(tmp_path, 'base = "plan"\n[levers]\nrent_subsidy = 900\n', "mine.toml")
    assert load(mine).settings == load("plan").settings | {"rent_subsidy": 900}


def test_never_opens_no_project_and_a_year_opens_it():
    assert resolve({"hsr_year": "never"}).hsr_year is None
    assert resolve({"hsr_year": None}).hsr_year is None
    assert resolve({"hsr_year": 2030}).hsr_year == 2030
    assert levers()["hsr_year"].baseline is None and levers()["hsr_year"].plan == 2027
