"""Limited room: dwellings, jobs and school seats are never over-filled.

In a plan run (which pushes demand for Haimen hardest) every year is checked at
the tightest moment, after everyone has chosen where to live and work and
before the market builds new homes; and ``choose`` is unit-tested with room far
below demand.
"""

from __future__ import annotations

import numpy as np
import pytest
from reference_draws import flat_draw

from abm import MigrationModel
from agents.choice import SHADOW_PRICE_ROUNDS, Capacity, choose
from agents.labour import filled_jobs, in_labour_force
from agents.population import COLLECTIVE, dwellings_occupied
from agents.residence import describe_all, dwelling_use, newcomers_from_pool
from agents.streams import Channel, gumbel, uniform
from environment.places import places
from environment.scenario import load

TOL = 1e-6  # relative, for sums of float weights
END = 2027


@pytest.fixture(scope="module")
def plan_run():
    """The plan at 1:100 to 2027, with occupancy, stock and jobs noted each year before the market builds."""
    model = MigrationModel(scale=100, end=END, rng=1, **load("plan").settings)
    notes: dict[int, dict[str, np.ndarray]] = {}
    markets = model.markets

    def noting_markets(counted):
        pop, world = model.population, model.world
        labour = in_labour_force(pop.persons, model.settings, model.year)
        notes[model.year] = {
            "occupied": model.occupied_dwellings().copy(),
            "stock": world.housing.stock.copy(),
            "employed": filled_jobs(pop, world, labour),
            "jobs": world.jobs.jobs.copy(),
            "passed": counted,  # the headcounts the stages carried to the markets, to compare with fresh ones
            "fresh": model.headcounts(),
        }
        return markets(counted)

    model.markets = noting_markets
    while model.running:
        model.step()
    return model, notes


def test_every_year_noted(plan_run):
    _, notes = plan_run
    assert sorted(notes) == list(range(2021, END + 1))


def test_headcounts_carried_equal_fresh(plan_run):
    """The headcounts the stages carry to the markets and the record (the job search's and the recruits' counts
    continued, not counted again) are those a fresh count gives, to the bit."""
    _, notes = plan_run
    for year, n in notes.items():
        for name in ("labour", "filled", "children", "occupied"):
            passed, fresh = getattr(n["passed"], name), getattr(n["fresh"], name)
            assert passed.dtype == fresh.dtype and np.array_equal(passed, fresh), f"{year}: {name} differs"


def test_dwellings_never_overfilled(plan_run):
    """Occupied dwellings ≤ stock in every Haimen alternative, after all moves and before new building."""
    _, notes = plan_run
    haimen = places().alt_in_haimen
    fullest = 0.0
    for year, n in notes.items():
        occupied, stock = n["occupied"][haimen], n["stock"][haimen]
        assert np.isinf(n["stock"][~haimen]).all()
        over = occupied - stock * (1 + TOL)
        assert (over <= 0).all(), f"{year}: {places().alt_label(np.flatnonzero(haimen)[over.argmax()])} over-filled"
        fullest = max(fullest, (occupied / stock).max())
    assert fullest > 0.9, "the plan should fill some alternative's dwellings (else this test cannot fail)"


def test_jobs_never_overfilled(plan_run):
    """Filled jobs ≤ jobs for every Haimen place and cluster, each year after hiring."""
    _, notes = plan_run
    haimen = places().in_haimen
    for year, n in notes.items():
        over = n["employed"][haimen] - n["jobs"][haimen] * (1 + TOL) - TOL
        assert (over <= 0).all(), f"{year}: {over.max():.1f} more workers than jobs in a place and cluster"


def test_jobs_table_never_overfilled(plan_run):
    model, _ = plan_run
    jobs = model.tables()["jobs"]
    assert (jobs.filled <= jobs.jobs * (1 + TOL) + TOL).all()
    yearly = model.tables()["yearly"].query("in_haimen")
    assert (yearly.jobs_filled <= yearly.jobs * (1 + TOL)).all()


def test_school_seats_grow_only_by_the_lever(plan_run):
    """Seats in Haimen rise each year by exactly the lever's new seats (none are built to cover every child);
    where children outnumber seats, the capacity leaves no spare seat for children arriving without a hukou."""
    model, _ = plan_run
    yearly = model.tables()["yearly"].query("in_haimen")
    assert yearly.school_children.notna().all()
    seats = yearly.groupby("year").school_seats.sum()
    added = seats.diff().dropna()
    expected = [model.world.policy.year(int(y)).school_seats for y in added.index]
    assert np.allclose(added.to_numpy(), expected, rtol=1e-9, atol=1e-6)


# ---------------------------------------------------------------- choose under tight capacity
N = 5000
KEYS = np.arange(N, dtype=np.uint64) + (np.uint64(7) << np.uint64(56))
ROOMS = np.array([40.0, 25.0])


def _setup(gap: float, rooms: np.ndarray = ROOMS, use: np.ndarray | None = None):
    """Two kinds of decider: half live in 0 and want 1, half live in 3 and want 2, by ``gap`` utility.

    Alternatives 0 and 3 are unlimited; 1 and 2 have ``rooms``. Each kind's only
    options are to stay or to move to its one wanted alternative.
    """
    off = -np.inf
    V = np.array([[0.0, gap, off, off], [off, off, gap, 0.0]])
    kind = np.arange(N) % 2
    current = np.where(kind == 0, 0, 3)
    use = np.ones(N) if use is None else use
    capacity = Capacity(of_alt=np.array([-1, 0, 1, -1]), use=use, room=rooms)
    errors = gumbel(1, Channel.RESIDENCE, 2030, KEYS, 4)
    priority = uniform(1, Channel.LOTTERY, 2030, KEYS)
    return V, kind, current, capacity, errors, priority


@pytest.mark.parametrize("gap", [2.0, 1000.0], ids=["shadow prices", "lottery"])
def test_choose_respects_room(gap):
    V, kind, current, capacity, errors, priority = _setup(gap)
    choice = choose(V, kind, current, [capacity], priority, flat_draw(errors))
    demand = capacity.net_demand(choice, current)
    assert (demand <= ROOMS + 1e-9).all()
    assert (demand > 0.5 * ROOMS).all(), "most of the room should be used"
    free = flat_draw(errors)(V, kind)
    assert (capacity.net_demand(free, current) > 10 * ROOMS).all(), "without limits demand far exceeds room"
    assert set(np.unique(choice[kind == 0])) <= {0, 1} and set(np.unique(choice[kind == 1])) <= {2, 3}


def test_lottery_turns_away_in_priority_order_and_they_stay():
    """A utility gap no shadow price can close in its rounds: the lottery admits the first in priority order,
    fills the room exactly, and everyone turned away stays where they are."""
    V, kind, current, capacity, errors, priority = _setup(1000.0)
    assert SHADOW_PRICE_ROUNDS * (np.log(N) + 0.05) < 1000.0  # largest possible total penalty
    free = flat_draw(errors)(V, kind)
    assert (free != current).all()
    choice = choose(V, kind, current, [capacity], priority, flat_draw(errors))
    moved = choice != current
    assert (choice[moved] == free[moved]).all()
    for alt, room in zip((1, 2), ROOMS, strict=True):
        wanted = np.flatnonzero(free == alt)
        admitted = wanted[choice[wanted] == alt]
        refused = wanted[choice[wanted] != alt]
        assert len(admitted) == room  # unit uses: the room is filled exactly
        assert priority[admitted].max() < priority[refused].min()
        np.testing.assert_array_equal(choice[refused], current[refused])


def test_lottery_with_unequal_uses_never_overfills():
    use = np.random.default_rng(3).uniform(0.2, 3.0, N)
    V, kind, current, capacity, errors, priority = _setup(1000.0, use=use)
    choice = choose(V, kind, current, [capacity], priority, flat_draw(errors))
    demand = capacity.net_demand(choice, current)
    assert (demand <= ROOMS + 1e-9).all()
    assert (ROOMS - demand < use.max()).all(), "room left over should be less than the largest household"


def test_movers_free_their_units():
    """Room counts units freed by leavers: a swap between two full alternatives is allowed."""
    n = 1000
    current = np.r_[np.zeros(n // 2, int), np.ones(n // 2, int)]
    V = np.array([[0.0, 50.0], [50.0, 0.0]])  # each half wants the other's place
    kind = current.copy()
    capacity = Capacity(of_alt=np.array([0, 1]), use=np.ones(n), room=np.zeros(2))
    errors = gumbel(1, Channel.RESIDENCE, 2030, np.arange(n), 2)
    priority = uniform(1, Channel.LOTTERY, 2030, np.arange(n))
    choice = choose(V, kind, current, [capacity], priority, flat_draw(errors))
    np.testing.assert_array_equal(choice, 1 - current)
    # but with one side wanting to stay, the other side cannot move in
    V_stay = np.array([[50.0, 0.0], [50.0, 0.0]])
    choice = choose(V_stay, kind, current, [capacity], priority, flat_draw(errors))
    np.testing.assert_array_equal(choice, current)


def _dwellings_and_seats():
    """Plenty of dwellings, few seats; 40 % of deciders have school children (seat use 1–2)."""
    rng = np.random.default_rng(4)
    V, kind, current, dwellings, errors, priority = _setup(1000.0, rooms=np.array([2000.0, 2000.0]))
    children = ((rng.uniform(size=N) < 0.4) * rng.integers(1, 3, N)).astype(float)
    seats = Capacity(of_alt=np.array([-1, 0, 0, -1]), use=children, room=np.array([30.0]))
    choice = choose(V, kind, current, [dwellings, seats], priority, flat_draw(errors))
    return choice, current, dwellings, seats, children


def test_two_capacities_both_respected():
    """Dwellings and seats at once: a decider needs room in both (as newcomers with children do)."""
    choice, current, dwellings, seats, _ = _dwellings_and_seats()
    assert (dwellings.net_demand(choice, current) <= dwellings.room + 1e-9).all()
    assert (seats.net_demand(choice, current) <= seats.room + 1e-9).all()
    assert seats.net_demand(choice, current)[0] > 25


def test_full_seats_do_not_turn_away_households_without_children():
    """Deciders that need no seat are not held back by full seats when dwellings are plentiful."""
    choice, current, _, _, children = _dwellings_and_seats()
    childless = children == 0
    assert (choice[childless] != current[childless]).all(), (
        f"{(choice[childless] == current[childless]).sum()} of {childless.sum()} households without children "
        "were turned away although 4,000 dwellings were free"
    )


def test_net_demand_adds_the_movers_uses_in_decider_order():
    """Counting every decider (stayers in a spare count) gives, to the bit, the sums over the movers alone."""
    rng = np.random.default_rng(5)
    n, n_alt = 3000, 9
    capacity = Capacity(of_alt=np.r_[0, 1, 2, 3, -1, 4, -1, 5, -2], use=rng.uniform(0.1, 3.0, n), room=np.ones(6))
    for current in (np.full(n, 4), rng.integers(0, n_alt, n)):  # nobody leaves a limited alternative, and many do
        for _ in range(3):
            choice = np.where(rng.random(n) < 0.3, current, rng.integers(0, n_alt, n))
            moving = np.flatnonzero(choice != current)
            into, out_of, use = capacity.of_alt[choice[moving]], capacity.of_alt[current[moving]], capacity.use[moving]
            arrive, leave = into >= 0, out_of >= 0
            expected = np.bincount(into[arrive], weights=use[arrive], minlength=6) - np.bincount(
                out_of[leave], weights=use[leave], minlength=6
            )
            assert np.array_equal(capacity.net_demand(choice, current), expected)
            assert np.array_equal(capacity.demand_from(current)(choice), expected)


def test_choice_counts_dwellings_as_the_market_does(plan_run):
    """The dwellings the residence choice counts for residents where they live now (its room) are those the
    housing market counts as occupied: one rule for both (a dormitory household occupies a share of one)."""
    model, _ = plan_run
    h = model.population.households
    assert (h.tenure == COLLECTIVE).any()  # dormitories present, so the share is exercised
    d = describe_all([(model.population, np.arange(len(h)), False)], model.world, model.year, seed=model.seed)
    counted = np.bincount(d.current, weights=dwelling_use(d, model.world), minlength=places().n_alt)
    np.testing.assert_allclose(counted, model.occupied_dwellings(), rtol=1e-12)


def test_choice_charges_newcomers_the_dwellings_the_market_counts():
    """A pool household choosing Haimen is charged, in the choice's room, the dwellings the housing market counts
    once it has arrived: a share of one for those who take a dormitory on arriving, one for the others."""
    model = MigrationModel(scale=100, end=2022, rng=1, **load("plan").settings)
    model.step()
    kept = {}
    choose_residences = model.choose_residences

    def keeping(*args):
        kept["choices"] = choose_residences(*args)
        return kept["choices"]

    model.choose_residences = keeping
    model.step()
    c = kept["choices"]
    d, pl = c.deciders, places()
    come = d.from_pool & pl.alt_in_haimen[c.choice]
    assert (d.dorm & come).any() and (~d.dorm & come).any()  # both kinds of newcomer, so the share is exercised
    h = newcomers_from_pool(c.pool, d, c.choice, c.gets_hukou, model.seed, model.year, model.world).households
    counted = dwellings_occupied(h.weight, h.tenure == COLLECTIVE, model.settings.collective_space)
    np.testing.assert_array_equal(dwelling_use(d, model.world)[come], counted)
