"""The backcast: the model from Haimen's 2010 census to 2020, its inputs, its command and the projection beside it.

The 2010 synthesis's exact margins at every scale are tested with the 2020 ones in ``tests/test_population.py``;
the calibration that fits the backcast's 2020 in ``tests/test_calibrate.py``.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from abm import MigrationModel
from environment.census import margins, outside_population
from environment.demography_inputs import BAND_STARTS
from environment.inputs import fact
from environment.places import places
from environment.settings import SettingError, resolve
from experiments.backcast import END, START, run_backcast
from experiments.validation.backcast import backcast_section, by_age, by_place, check_of
from experiments.validation.cohort import backcast_projection, census_persons, project
from experiments.validation.facts import Runs, compare

REL = 1e-6
SCALE = 100


@pytest.fixture(scope="module")
def backcast() -> MigrationModel:
    """The backcast at 1:100, seed 1, already run (do not step or mutate it)."""
    model = MigrationModel(scale=SCALE, rng=1, start=START, end=END)
    while model.running:
        model.step()
    return model


@pytest.fixture(scope="module")
def tables(backcast):
    return backcast.tables()


# ------------------------------------------------------------------ the start year
def test_the_backcast_runs_from_the_2010_census_to_2020(tables):
    s = tables["summary"]
    assert (START, END) == (2010, 2020) and list(s.year) == list(range(2010, 2021))


@pytest.mark.parametrize("scale", [1000, 10])
def test_the_2010_start_has_the_census_margins_exactly(scale):
    """Total, urban share, family-household size, sex ratio and the declared five-year ages, at any scale."""
    model = MigrationModel(scale=scale, rng=3, start=2010, end=2011)
    s, c = model.summary, margins(2010)
    assert s["haimen_population"] == pytest.approx(907_598, rel=1e-12)
    assert s["urban_population"] == pytest.approx(453_781, rel=1e-12)
    assert s["average_household_size"] == pytest.approx(2.36, rel=1e-12)
    assert s["households"] == pytest.approx(c.family_households, rel=1e-12)
    ages = model.tables()["ages"]
    men, women = (ages[ages.sex == sex].people.to_numpy() for sex in ("male", "female"))
    assert 100 * men.sum() / women.sum() == pytest.approx(82.9, abs=0.005)
    np.testing.assert_allclose(men + women, c.ages.persons, rtol=1e-9)
    np.testing.assert_allclose(men, c.ages.men, rtol=1e-9)


@pytest.mark.parametrize(
    ("start", "end", "key"),
    [(2015, 2020, "start"), (2009, 2020, "start"), (2010, 2010, "end"), (2020, 2020, "end"), (2010, 2051, "end")],
)
def test_a_start_without_a_census_or_an_end_not_after_it_is_refused(start, end, key):
    with pytest.raises(SettingError) as error:
        MigrationModel(scale=1000, start=start, end=end)
    assert error.value.key == key and "MigrationModel" in str(error.value)


def test_outside_places_start_at_their_2010_census_and_grow_to_2020s():
    pl = places()
    shanghai, chongming, nantong = pl.index("shanghai"), pl.index("chongming"), pl.index("nantong")
    at_2010, at_2020, at_2015 = outside_population(2010), outside_population(2020), outside_population(2015)
    for year, at in ((2010, at_2010), (2020, at_2020)):  # Chongming, a Shanghai district, is a place of its own
        assert at[chongming] == fact("pop_resident_census", "Chongming (Shanghai 崇明区)", year)
        assert at[shanghai] + at[chongming] == fact("pop_resident_census", "Shanghai", year)
    assert at_2015[nantong] == pytest.approx(np.sqrt(at_2010[nantong] * at_2020[nantong]), rel=1e-12)
    assert (at_2010[pl.haimen] == 0).all() and outside_population(2030) is at_2020
    for year, at in ((2010, at_2010), (2020, at_2020)):  # a place added outside must be taken from elsewhere
        china = fact("pop_resident_census", "China", year)
        assert at.sum() + fact("pop_resident_census", "Haimen", year) == pytest.approx(china, rel=1e-12), year


def test_the_historical_projects_open_in_their_years():
    from environment.transport import historical_openings, model_year

    assert model_year(date(2011, 12, 24)) == 2012 and model_year(date(2019, 1, 5)) == 2019
    assert model_year(date(2020, 10, 31)) == 2020 and model_year(date(2020, 11, 1)) == 2021
    assert historical_openings() == {"chongqi_bridge": 2012, "haimen_station": 2019, "husutong_rail": 2020}
    model = MigrationModel(scale=1000, rng=1, start=2010, end=2011)
    transport, pl = model.world.transport, places()
    opened = {y: transport.open_projects(y) for y in (2010, 2011, 2012, 2018, 2019, 2020, 2035)}
    assert not opened[2010] & {"chongqi_bridge", "haimen_station", "husutong_rail"}
    assert "chongqi_bridge" in opened[2012] - opened[2011]
    assert "haimen_station" in opened[2019] - opened[2018]
    assert "husutong_rail" in opened[2020] - opened[2019]
    assert {"chongqi_bridge", "haimen_station", "husutong_rail"} <= opened[2035]
    changle, shanghai = pl.index("changle"), pl.index("shanghai")
    assert transport.place_minutes(2012)[changle, shanghai] < transport.place_minutes(2011)[changle, shanghai]
    assert all(transport.opening_year[k] == y for k, y in historical_openings().items())


def test_the_forward_network_is_the_2020_one_from_the_start():
    """Forward runs start in 2020 with every historical project open: their 2020 network is unchanged."""
    model = MigrationModel(scale=1000, rng=1, end=2021)
    assert {"chongqi_bridge", "haimen_station", "husutong_rail"} <= model.world.transport.open_projects(2020)


# ------------------------------------------------------------------ accounting and determinism
def test_people_balance_through_the_backcast(tables):
    """births − deaths + arrivals − departures = change, for Haimen and each of its places, every year."""
    frames = [tables["summary"].rename(columns={"haimen_population": "population"}).assign(place="haimen")]
    yearly = tables["yearly"]
    frames += [g for _, g in yearly[yearly.in_haimen].groupby("place")]
    for g in frames:
        g = g.set_index("year").sort_index()
        events = (g.births - g.deaths + g.arrivals - g.departures).iloc[1:]
        atol = REL * g.population.max()
        np.testing.assert_allclose(events, g.population.diff().iloc[1:], atol=atol, err_msg=g.place.iloc[0])
    people = tables["ages"].groupby("year").people.sum()
    np.testing.assert_allclose(people, tables["summary"].set_index("year").haimen_population, rtol=REL)


def test_the_backcast_is_deterministic_and_the_seed_matters():
    a, b = run_backcast({}, 1000, 5), run_backcast({}, 1000, 5)
    other = run_backcast({}, 1000, 6)
    pd.testing.assert_frame_equal(a["summary"], b["summary"])
    pd.testing.assert_frame_equal(a["ages"], b["ages"])
    assert not a["summary"].equals(other["summary"])


# ------------------------------------------------------------------ its comparisons with the census
def test_each_backcast_quantity_equals_its_plain_reading_of_the_tables(backcast, tables):
    summary, ages = tables["summary"], tables["ages"]
    table = compare(Runs([summary], [ages], backcast.rates), of="backcast").set_index("fact")
    s = summary.set_index("year")
    a = ages[ages.year == END]
    assert table.model["resident population 2020"] == s.haimen_population[END]
    sex_ratio = 100 * a.people[a.sex == "male"].sum() / a.people[a.sex == "female"].sum()
    assert table.model["sex ratio 2020"] == pytest.approx(sex_ratio)
    collective = s.haimen_population[END] - s.households[END] * s.average_household_size[END]
    assert table.model["persons in collective households 2020"] == pytest.approx(collective)
    assert table.model["net migration 2010–2020"] == pytest.approx(s.net_migration.iloc[1:].sum())
    arrivals = (s.arrivals.iloc[1:] / s.haimen_population.shift(1).iloc[1:]).mean()
    assert table.model["arrivals from outside, %/yr vs Nantong's registered in-moves"] == pytest.approx(100 * arrivals)
    assert table.observed["working in Shanghai 2020"] == 2000
    assert table.observed["family-household size 2020"] == pytest.approx(854_199 / 384_993)
    assert set(table.kind) == {"fitted", "validation", "not comparable"}
    assert (table.kind == "fitted").sum() == 4


def test_backcast_comparisons_leave_the_forward_table_alone(baseline_model, baseline_tables):
    forward = compare(Runs([baseline_tables["summary"]], [baseline_tables["ages"]], baseline_model.rates))
    assert not forward.fact.str.contains("2019").any() and "sex ratio 2020" not in set(forward.fact)


# ------------------------------------------------------------------ the cohort-component projection
def test_projection_matches_a_hand_computation_on_a_toy_population():
    """Two ages (0 and an open 1+), one year: age, die, give birth, add migrants, by hand."""
    start = np.array([[100.0, 50.0], [80.0, 60.0]])  # men, women at ages 0 and 1+
    dying = np.array([[0.1, 0.2], [0.05, 0.1]])  # by the age reached
    bearing = np.array([0.0, 0.5])
    migrants = np.array([[0.0, 3.0], [0.0, 5.0]])
    summary, ages = project(start, range(1, 2), lambda y: dying, lambda y: bearing, 0.5, lambda y: migrants)
    # aged: nobody is 0; men 1+ = 100 + 50, women 1+ = 80 + 60; deaths 150·0.2 + 140·0.1 = 44
    # births: women 1+ after deaths 126 × 0.5 = 63, half boys; then the migrants
    last = summary.iloc[-1]
    assert last.deaths == pytest.approx(44.0) and last.births == pytest.approx(63.0)
    assert last.haimen_population == pytest.approx(150 + 140 - 44 + 63 + 8)
    people = ages[ages.year == 1].set_index(["age_band", "sex"]).people
    assert people[("0-4", "male")] == pytest.approx(120 + 31.5 + 3)
    assert people[("0-4", "female")] == pytest.approx(126 + 31.5 + 5)


def test_projection_conserves_people():
    settings = resolve({})
    net = {y: 1000.0 * (y - 2015) for y in range(2011, 2021)}
    summary, ages = backcast_projection(settings, 2010, net)
    s = summary.set_index("year")
    change = (s.births - s.deaths + s.net_migration).iloc[1:].to_numpy()
    np.testing.assert_allclose(s.haimen_population.to_numpy()[:-1] + change, s.haimen_population.to_numpy()[1:])
    np.testing.assert_allclose(ages.groupby("year").people.sum(), s.haimen_population, rtol=1e-12)
    assert s.haimen_population[2010] == pytest.approx(907_598, rel=1e-12)
    assert s.net_migration.iloc[1:].to_numpy() == pytest.approx(list(net.values()))


def test_projection_starts_from_the_census_margins_and_uses_the_models_vital_rates(tables):
    """Its 2010 bands are the census table's; with the backcast's own net migration its population stays within
    a fraction of a per cent of the backcast's (only the ages of the movers differ)."""
    persons = census_persons(resolve({}), 2010)
    c = margins(2010)
    band = np.minimum(np.arange(persons.shape[1]) // 5, len(BAND_STARTS) - 1)
    np.testing.assert_allclose(np.bincount(band, weights=persons.sum(axis=0)), c.ages.persons, rtol=1e-9)
    np.testing.assert_allclose(np.bincount(band, weights=persons[0]), c.ages.men, rtol=1e-9)
    s = tables["summary"].set_index("year")
    summary, _ = backcast_projection(resolve({}), 2010, {int(y): float(v) for y, v in s.net_migration.iloc[1:].items()})
    assert summary.set_index("year").haimen_population[2020] == pytest.approx(s.haimen_population[2020], rel=0.01)


# ------------------------------------------------------------------ by age and by place
@pytest.fixture(scope="module")
def check(backcast, tables):
    """The report's check of the one backcast (no band), with its projections."""
    return check_of([tables], backcast.rates)


def test_by_age_reads_the_backcast_the_projections_and_both_censuses(check, tables):
    t = by_age(check)
    ages, last = tables["ages"], tables["summary"].set_index("year").loc[END]
    assert list(t.age_band) == ["0-4", *[f"{lo}-{lo + 4}" for lo in range(5, 85, 5)], "85+"]
    assert t.backcast.sum() == pytest.approx(last.haimen_population, rel=REL)
    young = ages[(ages.year == END) & (ages.age_band == "20-24")]
    assert t.set_index("age_band").backcast["20-24"] == pytest.approx(young.people.sum())
    assert t.men_backcast.sum() == pytest.approx(ages.people[(ages.year == END) & (ages.sex == "male")].sum())
    np.testing.assert_allclose(t[f"census_{START}"], margins(START).ages.persons)
    np.testing.assert_allclose(t[f"census_{END}"], margins(END).ages.persons)
    assert t[f"census_{END}"].sum() == pytest.approx(991_782, rel=1e-9)
    assert t.cohort_component.sum() == pytest.approx(check.cohort[0].haimen_population.iloc[-1], rel=1e-9)
    # closed: no migration, so only the ten years' survivors of the 2010 people are 10 and over
    assert t.closed.sum() < t.cohort_component.sum() and t.closed[t.age_band == "0-4"].item() > 0
    assert np.isnan(t.backcast_sd).all()  # one seed: no spread


def test_by_place_reads_each_unit_and_the_census_spread_over_the_units(check, tables):
    t = by_place(check)
    last = tables["summary"].set_index("year").loc[END]
    pl = places()
    assert list(t.place) == [pl.keys[p] for p in pl.haimen]
    assert t.backcast.sum() == pytest.approx(last.haimen_population, rel=REL)
    urban = (t.backcast * t.urban_share_backcast).sum()
    assert urban / t.backcast.sum() == pytest.approx(last.urbanization, rel=REL)
    y = tables["yearly"]
    binjiang = y[(y.year == END) & (y.place == "binjiang")]
    assert t.set_index("place").backcast["binjiang"] == pytest.approx(binjiang.population.item())
    for year, persons, urban_people in ((START, 907_598, 453_781), (END, 991_782, 661_983)):
        assert t[f"census_{year}"].sum() == pytest.approx(persons, rel=1e-9)
        assert (t[f"census_{year}"] * t[f"urban_share_{year}"]).sum() == pytest.approx(urban_people, rel=1e-9)
    # the 2010 units are the 2020 ones moved back along the urbanization: less urban everywhere
    assert (t[f"urban_share_{START}"] < t[f"urban_share_{END}"]).all()
    # the assumed range is rescaled as the value is: the value sits inside it, in the same proportion
    assert ((t.assumed_low < t[f"census_{END}"]) & (t[f"census_{END}"] < t.assumed_high)).all()
    assert t.set_index("place").assumed_low["haimen_jd"] / t.set_index("place")[f"census_{END}"]["haimen_jd"] == (
        pytest.approx(155_000 / 205_000)
    )


def test_the_backcast_section_shows_the_census_figures_ages_places_and_the_decade(check):
    text = "\n".join(backcast_section(check))
    for heading in ("## Backcast 2010 → 2020", "By age in 2020", "By place in 2020", "The decade year by year"):
        assert heading in text
    assert "| 20-24 |" in text and "| 滨江街道 Binjiang Subdistrict |" in text
    said = int(text.split(" of 12 units end the backcast inside")[0].rsplit("\n", 1)[-1])
    t = by_place(check)
    assert said == int(((t.assumed_low <= t.backcast) & (t.backcast <= t.assumed_high)).sum())


# ------------------------------------------------------------------ the command
def test_the_backcast_command_writes_its_folder(tmp_path):
    from experiments.cli import main

    out = tmp_path / "backcast"
    assert main(["backcast", "--scale", "1000", "--seeds", "1,2", "--jobs", "1", "--out", str(out)]) == 0
    files = {p.name for p in out.iterdir()}
    assert {"abm.json", "backcast.md", "backcast.csv", "summary.csv", "ages.csv", "cohort_component.csv"} <= files
    assert {"by_age.csv", "by_place.csv"} <= files
    assert len(pd.read_csv(out / "by_place.csv")) == len(places().haimen)
    text = (out / "backcast.md").read_text(encoding="utf-8")
    assert text.startswith("# Backcast 2010 → 2020") and "| sex ratio 2020 |" in text
    table = pd.read_csv(out / "backcast.csv")
    assert table.loc[table.kind != "not comparable", "model"].notna().all()
    assert sorted(pd.read_csv(out / "summary.csv").seed.unique()) == [1, 2]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--scale", "0"], "--scale"),
        (["--seeds", "1,,2"], "--seeds"),
        (["--uncertainty-points", "-1"], "--uncertainty"),
        (["--jobs", "0"], "--jobs"),
    ],
)
def test_the_backcast_command_refuses_a_bad_flag_in_one_line(tmp_path, capsys, args, says):
    from experiments.cli import main

    out = tmp_path / "backcast"
    with pytest.raises(SystemExit) as exit_status:
        main(["backcast", *args, "--out", str(out)])
    assert exit_status.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error:") and says in err and "\n" not in err
    assert not out.exists()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--backend", "cloud"], "--backend"),
        (["--uncertainty", "no-such-sweep", "--uncertainty-points", "2"], "no-such-sweep"),
    ],
)
def test_the_backcast_command_refuses_a_bad_value_in_one_line(tmp_path, capsys, args, says):
    from experiments.cli import main

    out = tmp_path / "backcast"
    assert main(["backcast", *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("abm: error:") and says in err and "\n" not in err
    assert not out.exists()


def test_the_backcast_command_never_replaces_a_folder_of_yours(tmp_path, capsys):
    from experiments.cli import main

    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["backcast", "--scale", "1000", "--seeds", "1", "--jobs", "1", "--out", str(out)]) == 2
    assert "abm: error:" in capsys.readouterr().err and (out / "notes.txt").read_text() == "mine"
