"""Every value is checked once, at the boundary: the model's arguments, levers and parameters.

The same checks serve scenario files, the command line and ``MigrationModel(**kwargs)``;
numpy scalars (what samplers pass) are accepted wherever a Python number is.
Property tests run random settings drawn from the declared ranges and check the
model's invariants.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abm import MigrationModel
from environment.settings import SettingError, levers, parameters, resolve

END = 2021


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"rng": "x"}, "rng"),
        ({"rng": 1.5}, "rng"),
        ({"rng": -1}, "rng"),
        ({"rng": 2**40}, "rng"),
        ({"end": "2025"}, "end"),
        ({"end": 2025.5}, "end"),
        ({"end": 2019}, "end"),
        ({"end": float("nan")}, "end"),
        ({"scale": True}, "scale"),
        ({"scale": 0}, "scale"),
        ({"scale": 10**400}, "scale"),
        ({"rent_subsidy": float("nan")}, "rent_subsidy"),
        ({"beta_income": float("inf")}, "beta_income"),
        ({"beta_income": -float("inf")}, "beta_income"),
        ({"school_seats": 10**400}, "school_seats"),
        ({"hsr_year": float("nan")}, "hsr_year"),
        ({"hsr_year": "soon"}, "hsr_year"),
        ({"bus_integration": 1}, "bus_integration"),
        ({"no_such_lever": 1}, "no_such_lever"),
    ],
    ids=repr,
)
def test_bad_model_argument_names_it_before_any_work(kwargs, fragment, monkeypatch):
    import abm.model

    monkeypatch.setattr(abm.model, "synthesize", lambda *a: pytest.fail("work started before the check"))
    with pytest.raises((ValueError, TypeError)) as info:
        MigrationModel(**{"scale": 1000, "end": END, **kwargs})
    assert fragment in str(info.value)
    assert "\n" not in str(info.value) and len(str(info.value)) < 300


def test_wrong_types_are_also_type_errors():
    with pytest.raises(TypeError):
        MigrationModel(scale=1000, end=END, rng="x")
    with pytest.raises(TypeError):
        resolve({"bus_integration": "yes"})


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("airport_year", np.int64(2030), 2030),
        ("airport_year", np.int32(2030), 2030),
        ("school_seats", np.float64(500.0), 500),
        ("bus_integration", np.bool_(True), True),
        ("commercial_amenity", np.float32(0.125), 0.125),
        ("beta_income", np.array(2.0), 2.0),
        ("hsr_year", "never", None),
    ],
    ids=lambda v: type(v).__name__,
)
def test_numpy_scalars_are_accepted_and_converted_once(key, value, expected):
    checked = resolve({key: value})[key]
    assert checked == expected and type(checked) is type(expected)


def test_numpy_values_reach_the_model_as_python_values():
    model = MigrationModel(scale=np.int64(1000), end=np.int64(END), rng=np.uint32(3), airport_year=np.int64(2030))
    assert (model.scale, model.end, model.seed) == (1000, END, 3)
    assert type(model.scale) is int and model.settings.airport_year == 2030


def test_every_project_year_has_an_effect_without_another_switch():
    """The README's batch_run example: two opening years give two different runs (no separate *_open switch)."""
    a, b = (MigrationModel(scale=1000, end=2028, rng=1, hsr_year=y) for y in (2026, 2027))
    for m in (a, b):
        while m.running:
            m.step()
    assert not a.tables()["summary"].equals(b.tables()["summary"])
    assert not any(k.endswith("_open") for k in levers())


# ---------------------------------------------------------------- properties
def _value(setting, draw):
    if setting.kind == "bool":
        return draw(st.booleans())
    if setting.kind == "choice":
        return draw(st.sampled_from(setting.values))
    if setting.kind in ("int", "year"):
        values = st.integers(int(setting.low), int(setting.high))
        return draw(st.one_of(st.none(), values) if setting.never else values)
    return draw(st.floats(setting.low, setting.high, allow_nan=False))


@st.composite
def random_settings(draw) -> dict:
    """A few levers and parameters at random values within their declared ranges."""
    pool = {k: lv for k, lv in levers().items() if lv.modelled} | {
        k: p for k, p in parameters().items() if not p.calibrated
    }
    keys = draw(st.lists(st.sampled_from(sorted(pool)), min_size=1, max_size=6, unique=True))
    return {k: _value(pool[k], draw) for k in keys}


def _run(chosen: dict, seed: int) -> MigrationModel:
    model = MigrationModel(scale=1000, end=2023, rng=seed, **chosen)
    while model.running:
        model.step()
    return model


@pytest.mark.slow
@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chosen=random_settings(), seed=st.integers(0, 2**32 - 1))
def test_random_settings_keep_the_invariants(chosen, seed):
    model = _run(chosen, seed)
    tables = model.tables()
    yearly = tables["yearly"]
    counts = ["population", "births", "deaths", "arrivals", "departures", "households", "workers", "jobs"]
    later = yearly[yearly.year > 2020]
    for column in [*counts, "price_urban", "rent_urban"]:
        values = later[column].dropna() if column not in ("population",) else later[column]
        assert (values >= 0).all() and np.isfinite(values).all(), column
    assert (tables["jobs"].wage > 0).all() and (tables["jobs"].filled <= tables["jobs"].jobs * (1 + 1e-9) + 1e-6).all()
    # people are conserved in every place and year
    for _, place in yearly.groupby("place"):
        place = place.sort_values("year")
        change = place.population.diff().iloc[1:].to_numpy()
        flows = (place.births - place.deaths + place.arrivals - place.departures).iloc[1:].to_numpy()
        np.testing.assert_allclose(change, flows, rtol=1e-9, atol=1e-6)
    s = tables["summary"]
    assert s.urbanization.between(0, 1).all()
    # deterministic
    again = _run(chosen, seed).tables()
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, again[name], check_exact=True, obj=name)


@settings(max_examples=60, deadline=None)
@given(key=st.sampled_from(sorted([*levers(), *parameters()])), data=st.data())
def test_any_value_outside_its_range_is_refused_naming_it(key, data):
    setting = levers().get(key) or parameters()[key]
    if setting.kind == "bool":
        value = data.draw(st.one_of(st.integers(), st.floats(), st.text(max_size=3)))
    elif setting.kind == "choice":
        value = data.draw(st.one_of(st.integers(), st.floats(), st.booleans(), st.text(max_size=12)))
        if value in setting.values:
            return
    else:
        low, high = setting.accepted or (setting.low, setting.high)  # what-ifs beyond the range are accepted
        above = st.floats(min_value=high, exclude_min=True, allow_infinity=True)
        below = st.floats(max_value=low, exclude_max=True, allow_infinity=True)
        value = data.draw(st.one_of(above, below, st.just(float("nan")), st.text(max_size=3)))
    if value == "never" and getattr(setting, "never", False):
        return
    with pytest.raises(SettingError, match=key):
        resolve({key: value})
