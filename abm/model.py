"""MigrationModel: Haimen's population year by year under the plan's levers.

One step is one year (see :meth:`MigrationModel.step`). Agents' state lives in
numpy arrays (``agents.population``); every decision is taken for all deciders
at once from keyed random streams, so the same seed gives the same dice to the
same household in every scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import mesa
import numpy as np
import pandas as pd

from abm.handles import Household, Worker
from abm.recording import current_outcomes, make_collector, record_tables, summarize, tables, year_counts
from agents.census_population import synthesize
from agents.choice import Capacity, choose
from agents.constants import HAIMEN_CITY
from agents.demography import VitalRates, age_and_die, form_unions, give_birth
from agents.emigrants import BANDS, Emigrants, haimen_registered, leave_for_university, leave_home
from agents.keys import is_returner
from agents.labour import (
    JobProspects,
    Matching,
    Workforce,
    employment,
    end_jobs,
    find_jobs,
    in_labour_force,
    initial_in_commuters,
    job_prospects,
    recruits_wanted,
    start_and_stop_work,
)
from agents.payments import paid_on_moving
from agents.pools import draw_movers, draw_recruits, draw_students, pool_households_per_year
from agents.population import COLLECTIVE, NO_JOB, OWNER, RENTER, Households, Population, dwellings_occupied
from agents.residence import (
    Deciders,
    describe_all,
    dwelling_use,
    households_weighing_a_move,
    hukou_on_arrival,
    hukou_willingness,
    newcomers_from_pool,
    payment_features,
    residence_draw,
    residence_nests,
    residence_utility,
    rural_origin,
)
from agents.rows import counted_on
from agents.streams import Channel, uniform
from environment.census import census_years, outside_population
from environment.jobs import JobMarket
from environment.places import clusters, place_values, places
from environment.scenario import load as load_scenario
from environment.schools import SCHOOL_AGES
from environment.settings import SettingError, Settings, resolve, run_default, run_options
from environment.world import World


@dataclass
class YearEvents:
    """What happened in Haimen's places this year (float arrays of people)."""

    births: np.ndarray  # [place]
    deaths: np.ndarray  # [place]
    flows: np.ndarray  # [alt, alt]: movers (people) from one alternative to another, students included
    paid_at_move: dict[str, float] = field(default_factory=dict)  # payment lever -> households its rule paid moving


@dataclass
class Headcounts:
    """Counts read off the persons and households once the year's last arrivals (the recruits) are in, that the
    markets and the record both need (settling in, between them, changes only hukou and renters' tenure, which
    none of them depends on)."""

    labour: np.ndarray  # bool[person]: in the labour force
    filled: np.ndarray  # float[place, cluster]: jobs filled by place of work and cluster (in-commuters included)
    children: np.ndarray  # float[place]: children of compulsory-school age
    occupied: np.ndarray  # float[alt]: dwellings occupied


class Leavers(NamedTuple):
    """The young adults who left home this year, and the dwellings occupied once they did."""

    rows: np.ndarray  # their new households' rows
    occupied: np.ndarray  # float[alt]: dwellings occupied, theirs included (counted once, read by the choice)


@dataclass
class ResidenceChoices:
    """The year's residence decisions, before they are applied."""

    deciders: Deciders
    choice: np.ndarray  # alternative chosen by each decider
    pool: Population  # the outside pools the newcomers come from
    gets_hukou: np.ndarray  # bool per decider: granted a Haimen hukou on arrival


@cache
def _place_pairs() -> np.ndarray:
    """The flat index ``origin place * n + destination place`` of each pair of alternatives, int[alt * alt] (row
    order, read-only)."""
    pl = places()
    pairs = (pl.alt_place[:, None] * pl.n + pl.alt_place[None, :]).ravel()
    pairs.flags.writeable = False
    return pairs


class OutsidePlaces:
    """Aggregate stocks of the places outside Haimen: bookkeeping of their people, not a forecast."""

    def __init__(self, year: int) -> None:
        self.population = outside_population(year).copy()  # their census population in the run's first year
        self.births = np.zeros_like(self.population)
        self.deaths = np.zeros_like(self.population)

    def advance(self, arrivals: np.ndarray, departures: np.ndarray) -> None:
        """A year of their own births and deaths (published rates) and of the moves the model simulates."""
        self.births = self.population * place_values("birth_rate", outside_only=True) / 1000
        self.deaths = self.population * place_values("death_rate", outside_only=True) / 1000
        outside = ~places().in_haimen
        self.population = np.where(outside, self.population + self.births - self.deaths + arrivals - departures, 0.0)


class Stage(NamedTuple):
    """One stage of the year: the model's method, the earlier stages' results it takes, and the name of its own."""

    method: str
    takes: tuple[str, ...] = ()
    gives: str = ""


class MigrationModel(mesa.Model):
    """Agent-based model of migration into, out of and within Haimen.

    Parameters
    ----------
    scale : people per agent (households are sampled 1 in ``scale``; weights keep totals exact).
    end : last year simulated (after ``start``).
    rng : seed (int) of the keyed random streams; None draws one.
    scenario : a named scenario (``abm scenarios``) or a scenario file whose levers and parameters
        are the starting point; its run options are not used (pass ``scale``, ``end``, ``rng``).
        (Mesa's own ``Scenario`` objects, which SolaraViz's reset passes, carry no settings here and are ignored.)
    settings : lever and parameter values by key (see ``abm levers`` / ``abm parameters``),
        on top of the scenario; anything not given takes its baseline (no plan) value.
    start : the census the run starts from (``environment/data/census_margins.toml``): 2020 for every forward
        run, 2010 for the backcast (``abm backcast``: 2010 → 2020 with the historical transport projects, the
        2010s' vital rates and outside populations, every lever at baseline before the plan's adoption).
    """

    STAGES: tuple[Stage, ...] = (  # the year, in order (step() runs them; benchmarks time them)
        Stage("demography"),
        Stage("young_adults", gives="leavers"),  # (a Leavers)
        Stage("labour", gives="prospects"),
        Stage("choose_residences", takes=("prospects", "leavers"), gives="choices"),
        Stage("apply_moves", takes=("choices",)),
        Stage("enrol_students"),
        Stage("choose_jobs", takes=("prospects",), gives="workforce"),
        Stage("recruit_workers", takes=("workforce",), gives="counted"),
        Stage("markets", takes=("counted",)),
        Stage("settle"),
        Stage("advance_outside_places"),
        Stage("record", takes=("counted",)),
    )

    def __init__(
        self,
        scale: int = run_default("scale"),
        end: int = run_default("end"),
        rng: int | None = None,
        scenario: str | Path | None = None,
        start: int = run_default("start"),
        **settings: Any,
    ) -> None:
        options = run_options()
        scale = options["scale"].check(scale, where="MigrationModel")
        start = options["start"].check(start, where="MigrationModel")
        if start not in census_years():
            years = " or ".join(map(str, census_years()))
            raise SettingError("start", start, f"a census year with declared margins: {years}", "MigrationModel")
        end = replace(options["end"], low=start + 1).check(end, where="MigrationModel")
        seed = None if rng is None else options["seed"].check(rng, where="MigrationModel (rng)")
        named = isinstance(scenario, str | Path)
        base = load_scenario(scenario).settings if named else {}
        checked: Settings = resolve(base | settings, where="MigrationModel")
        super().__init__(rng=seed)
        self.settings = checked
        self.seed = seed if seed is not None else int(self.rng.integers(options["seed"].high))
        self.scale, self.start, self.end, self.year = scale, start, end, start
        self.population = synthesize(self.settings, self.scale, self.seed, start)
        self.rates = VitalRates(self.settings)
        self.world = self._build_world()
        self.outside = OutsidePlaces(start)
        self.emigrants = Emigrants.initial(self._registered_elsewhere(), self.settings, self.start)
        n = places().n
        self.events = YearEvents(np.full(n, np.nan), np.full(n, np.nan), np.zeros((places().n_alt,) * 2))
        self.handles: dict[tuple[type, int], Household | Worker] = {}
        self.matching: Matching | None = None  # the year's job search (applications, hires, its rounds)
        self.summary: dict[str, float] = {}
        self.outcome_values: dict[str, float] = {}
        self.outcome_log: list[tuple[int, str, float]] = []  # every year's outcomes, as rows year, outcome, value
        self.datacollector = make_collector()
        self.record()

    # ------------------------------------------------------------------ setup
    def _build_world(self) -> World:
        """The starting year's world: Haimen's job stock is where its working residents choose to work, and the
        jobs the outside places' workers would hold there (the in-commuters).

        That first choice is not limited by the jobs it creates: each worker's choice is then
        independent of how finely the population is sampled, so the 2020 job stock (and every
        later vacancy) is the same in expectation at every scale.
        """
        pop, pl = self.population, places()
        labour = start_and_stop_work(pop, self.settings, self.seed, self.start)
        at_home = np.zeros((pl.n, clusters().n))
        np.add.at(
            at_home,
            (pop.households.place[pop.persons.household][labour], pop.persons.cluster[labour]),
            pop.person_weight()[labour],
        )
        world = World(
            self.settings,
            occupied=self.occupied_dwellings(),
            employed=at_home,
            children=self.school_children(),
            ties=self._initial_ties(),
        )
        prospects = job_prospects(world, self.start, at_home)
        find_jobs(pop, world, prospects, labour, self.seed, self.start, limited=False)
        in_commuters = initial_in_commuters(world, prospects, self.start)
        world.jobs = JobMarket(self.settings, employment(pop, labour), in_commuters)
        return world

    def _initial_ties(self) -> np.ndarray:
        """Starting ties: non-hukou residents by origin, and Haimen's registered people living elsewhere.

        Registered and resident totals are close (988,700 vs 991,782), so as many
        Haimen people are taken to live outside as outsiders live in Haimen,
        spread over the origins like the yearly pools.
        """
        pop, pl = self.population, places()
        h = pop.households
        people = h.weight * pop.members()
        ties = np.zeros((pl.n, pl.n))
        incomers = h.origin != h.place
        np.add.at(ties, (h.origin[incomers], h.place[incomers]), people[incomers])
        abroad = pool_households_per_year(self.settings, self.start)
        home = np.bincount(h.place, weights=people, minlength=pl.n)
        ties += np.outer(home / home.sum(), abroad / abroad.sum()) * people[incomers].sum()
        return ties

    def _registered_elsewhere(self) -> float:
        """Haimen-registered people living elsewhere at the start, taken equal to the non-local residents (as the
        ties)."""
        h = self.population.households
        people = h.weight * self.population.members()
        return float(people[h.origin != h.place].sum())

    # ---------------------------------------------------------------- the year
    def step(self) -> None:
        """One year: the stages of :attr:`STAGES` in order, each handed the earlier results it takes."""
        self.year += 1
        results: dict[str, Any] = {}
        for stage in self.STAGES:
            result = getattr(self, stage.method)(*(results[name] for name in stage.takes))
            if stage.gives:
                results[stage.gives] = result
        self.running = self.year < self.end

    def demography(self) -> None:
        """Everyone ages; deaths, births and new couples (young adults living alone moving in together)."""
        pop, n = self.population, places().n
        deaths = age_and_die(pop, self.rates, self.seed, self.year, n, drop_empty=False)  # young_adults drops them
        births = give_birth(pop, self.rates, self.world.policy.year(self.year), self.seed, self.year, n)
        unions = form_unions(pop, self.settings, self.seed, self.year, drop_empty=False)
        self.events = YearEvents(births=births, deaths=deaths, flows=unions)

    def young_adults(self) -> Leavers:
        """18-year-olds leave for university (households left empty by them or by :meth:`demography` are dropped);
        young adults leave their parents' home (returns their new households and the dwellings then occupied: the
        households stay as they are until the residence choice)."""
        pop, y = self.population, self.year
        self.events.flows += leave_for_university(pop, self.emigrants, self.settings, self.seed, y)
        occupied = self.occupied_dwellings()
        rows = leave_home(pop, self.settings, self.seed, y, self.world.housing.free(occupied))
        return Leavers(rows, self._occupied_by(pop.households.take(rows), occupied))

    def labour(self) -> JobProspects:
        """New adults get a trade, retirements, the levers' new jobs, quits and layoffs; returns the job prospects."""
        labour = start_and_stop_work(self.population, self.settings, self.seed, self.year)
        self.world.jobs.grow(self.world.policy.year(self.year))
        employed = end_jobs(self.population, self.world, labour, self.seed, self.year)
        return job_prospects(self.world, self.year, employed)

    def choose_residences(self, prospects: JobProspects, leavers: Leavers) -> ResidenceChoices:
        """Residents weighing a move (young adults who left home among them), the outside pools and Haimen's
        emigrants weighing a return choose where to live (nothing is moved yet)."""
        pop, world, y = self.population, self.world, self.year
        stock, graduates = self.emigrants.weighing_return(self.settings, y)
        pool = draw_movers(self.settings, self.seed, y, self.scale, stock, graduates, BANDS)
        residents = np.zeros(len(pop.households), dtype=bool)  # those weighing a move and the leavers, in row order
        residents[households_weighing_a_move(pop, world, self.seed, y)] = True
        residents[leavers.rows] = True
        residents = np.flatnonzero(residents)
        d = describe_all(
            [(pop, residents, False), (pool, np.arange(len(pool.households)), True)], world, y, seed=self.seed
        )
        V, kind = residence_utility(d, world, prospects, y)
        gets_hukou = hukou_on_arrival(d, world, self.seed, y)
        choice = choose(
            V,
            kind,
            d.current,
            self._capacities(d, gets_hukou, leavers.occupied),
            uniform(self.seed, Channel.LOTTERY, y, d.key),
            draw=residence_draw(residence_nests(world), self.seed, y, d.key),
        )
        return ResidenceChoices(deciders=d, choice=choice, pool=pool, gets_hukou=gets_hukou)

    def apply_moves(self, choices: ResidenceChoices) -> None:
        """Residents relocate within Haimen (leaving their jobs) or leave it; newcomers from the pools arrive."""
        pop, pl, world = self.population, places(), self.world
        d, choice = choices.deciders, choices.choice
        moved = choice != d.current
        flows = np.reshape(self.events.flows, -1, copy=False)  # a view (never a copy): one flat index per move, numpy's
        # fast add.at; the same sums
        np.add.at(flows, d.current[moved] * pl.n_alt + choice[moved], (d.weight * d.members)[moved])
        residents = ~d.from_pool & moved
        stay_in = residents & pl.alt_in_haimen[choice]
        payments = world.policy.year(self.year).payments
        self.events.paid_at_move = paid_on_moving(lambda: payment_features(d), choice, d.weight * residents, payments)
        h, p = pop.households, pop.persons
        relocated = d.rows[stay_in & (pl.alt_place[choice] != pl.alt_place[d.current])]
        stay_rows = d.rows[stay_in]
        h.place[stay_rows] = pl.alt_place[choice[stay_in]]
        h.urban[stay_rows] = pl.alt_urban[choice[stay_in]]
        gone = residents & ~pl.alt_in_haimen[choice]
        gone_rows = d.rows[gone]
        leaving = np.zeros(len(h), dtype=bool)
        leaving[gone_rows] = True
        moving = np.zeros(len(h), dtype=np.int16)  # -1: relocating within Haimen; 1 + destination: leaving with a
        moving[relocated] = -1  # Haimen hukou (an emigrant household)
        registered = haimen_registered(pop, gone_rows)
        moving[gone_rows[registered]] = 1 + pl.alt_place[choice[gone][registered]]
        of_person = moving[p.household]  # (one gather for both: the few persons concerned then by index)
        p.job[np.flatnonzero(of_person == -1)] = NO_JOB  # relocating persons leave their jobs
        emigrant = np.flatnonzero(of_person > 0)
        destination = of_person[emigrant] - 1
        self.emigrants.add(destination, p.age[emigrant], h.weight[p.household[emigrant]])
        pop.remove_households(leaving)
        newcomers = newcomers_from_pool(choices.pool, d, choice, choices.gets_hukou, self.seed, self.year, world)
        back = is_returner(newcomers.households.key)[newcomers.persons.household]
        self.emigrants.remove(
            newcomers.households.origin[newcomers.persons.household[back]],
            newcomers.persons.age[back],
            newcomers.households.weight[newcomers.persons.household[back]],
        )
        world.newcomers = np.bincount(
            pl.alt(newcomers.households.place, newcomers.households.urban),
            weights=newcomers.households.weight,
            minlength=pl.n_alt,
        )
        pop.add(newcomers.households, newcomers.persons)

    def enrol_students(self) -> None:
        """The year's new vocational-college students from outside Haimen move into their colleges' dormitories."""
        pl = places()
        policy = self.world.policy.year(self.year)
        if not (policy.vocational_students > 0).any():  # none this year (as without the levers): nothing to draw
            return
        students = draw_students(
            self.settings, self.seed, self.year, self.scale, policy.vocational_students, policy.course_years
        )
        if len(students.households):
            origin_alt = pl.alt(students.households.origin, True)
            college_alt = pl.alt(students.households.place, True)
            np.add.at(self.events.flows, (origin_alt, college_alt), students.households.weight)
            self.population.add(students.households, students.persons)

    def choose_jobs(self, prospects: JobProspects) -> Workforce:
        """Job seekers (new adults, movers, newcomers, quitters, the unemployed) and the outside places' workers
        who seek a job apply for jobs; the matching function decides who is hired (kept in ``matching``): those
        from outside commute in. Returns the workforce after the hires (whose labour force they leave as it was)."""
        labour = in_labour_force(self.population.persons, self.settings, self.year)
        self.matching = find_jobs(self.population, self.world, prospects, labour, self.seed, self.year)
        return Workforce(labour, employment(self.population, labour))

    def recruit_workers(self, workforce: Workforce) -> Headcounts:
        """Employers recruit workers from outside to jobs still vacant beyond the normal rate after the residents'
        and in-commuters' hires (``workforce``); recruits arrive holding the job. Returns the headcounts with them,
        the year's last arrivals."""
        pl, y, pop = places(), self.year, self.population
        flows = self.events.flows
        other_arrivals = float(flows[np.ix_(~pl.alt_in_haimen, pl.alt_in_haimen)].sum())
        occupied = self.occupied_dwellings()
        free = np.zeros(pl.n)
        free[pl.haimen] = self.world.housing.free(occupied)[pl.alt(pl.haimen, True)]
        wanted = recruits_wanted(self.world, workforce.filled(self.world), other_arrivals, free)
        recruits = draw_recruits(self.settings, self.seed, y, self.scale, wanted)
        if len(recruits.households):
            h = recruits.households
            np.add.at(flows, (pl.alt(h.origin, True), pl.alt(h.place, True)), h.weight)
            workforce = workforce.joined_by(recruits, self.settings, y)
            occupied = self._occupied_by(h, occupied)
            pop.add(recruits.households, recruits.persons)
        filled = workforce.filled(self.world)
        return Headcounts(labour=workforce.labour, filled=filled, children=self.school_children(), occupied=occupied)

    def markets(self, counted: Headcounts) -> None:
        """Wages respond to vacancies, prices to occupancy; builders and the levers add dwellings and school seats
        (``counted``: the year's headcounts, :meth:`recruit_workers`)."""
        world, y = self.world, self.year
        world.jobs.adjust(counted.filled)
        world.housing.update_prices(counted.occupied)
        world.housing.build(world.policy.year(y), counted.occupied)
        world.schools.expand(world.policy.year(y), counted.children)

    def settle(self) -> None:
        """Settling in: renters who have lived in Haimen a year may buy, others take its hukou (at a rate scaled by
        their origin's willingness to transfer one); migrant ties grow."""
        h, y, s = self.population.households, self.year, self.settings
        in_haimen_since = h.arrived < y
        renting = np.flatnonzero((h.tenure == RENTER) & in_haimen_since)  # only those who may draw
        h.tenure[renting[uniform(self.seed, Channel.BUY, y, h.key[renting]) < s.buy_rate]] = OWNER
        outsiders = np.flatnonzero((h.hukou_city != HAIMEN_CITY) & in_haimen_since)
        rural = rural_origin(self.seed, h.key[outsiders], h.origin[outsiders], h.hukou_city[outsiders])
        rate = s.hukou_rate * hukou_willingness(rural, s)
        naturalize = outsiders[uniform(self.seed, Channel.NATURALIZE, y, h.key[outsiders]) < rate]
        h.hukou_city[naturalize] = HAIMEN_CITY
        self.world.ties.fade(s.ties_decay)
        self.world.ties.add(self.place_flows())

    def advance_outside_places(self) -> None:
        """The outside places' stocks take their own births and deaths and the year's moves with Haimen."""
        flows = self.place_flows()
        self.outside.advance(arrivals=flows.sum(axis=0) - np.diag(flows), departures=flows.sum(axis=1) - np.diag(flows))
        self.emigrants.age()

    def record(self, counted: Headcounts | None = None) -> None:
        """Collect the year's summary figures and tables (reads the state, changes nothing else); ``counted``: the
        headcounts of the persons as they are now, if already counted (by :meth:`recruit_workers`)."""
        counts = year_counts(self, counted if counted is not None else self.headcounts())
        self.summary = summarize(self, counts)
        record_tables(self, counts)
        self.outcome_values = current_outcomes(self)
        self.outcome_log.extend((self.year, key, value) for key, value in self.outcome_values.items())
        self.datacollector.collect(self)
        self._release_handles()

    # ------------------------------------------------------------ state read
    def headcounts(self) -> Headcounts:
        """The labour force, the jobs filled (by it and the in-commuters), the children of school age and the
        dwellings occupied, as the persons and households are now."""
        workforce = Workforce.counted(self.population, self.settings, self.year)
        filled = workforce.filled(self.world)
        children, occupied = self.school_children(), self.occupied_dwellings()
        return Headcounts(labour=workforce.labour, filled=filled, children=children, occupied=occupied)

    def occupied_dwellings(self) -> np.ndarray:
        """Dwellings occupied per alternative, float[alt]."""
        return self._occupied_by(self.population.households)

    def _occupied_by(self, h: Households, counted: np.ndarray | None = None) -> np.ndarray:
        """Dwellings the households ``h`` occupy per alternative, float[alt]; with ``counted`` (those of households
        before them), added to it row by row as a count of all would add them (the same numbers, to the bit)."""
        use = dwellings_occupied(h.weight, h.tenure == COLLECTIVE, self.settings.collective_space)
        alt = places().alt(h.place, h.urban)
        if counted is None:
            return np.bincount(alt, weights=use, minlength=places().n_alt)
        return counted_on(counted, alt, use)

    def school_children(self) -> np.ndarray:
        """Children of compulsory-school age per place, float[place]."""
        pop = self.population
        p, h = pop.persons, pop.households
        child = np.flatnonzero((p.age >= SCHOOL_AGES[0]) & (p.age <= SCHOOL_AGES[1]))
        household = p.household[child]  # only children's rows: the others would add zeros
        return np.bincount(h.place[household], weights=h.weight[household], minlength=places().n)

    def place_flows(self) -> np.ndarray:
        """This year's moves between places (alternatives summed to places), float[place, place]."""
        n = places().n
        # each alternative pair's flow added to its places' in row order, as np.add.at would: the same sums to the bit
        return np.bincount(_place_pairs(), weights=self.events.flows.ravel(), minlength=n * n).reshape(n, n)

    def _capacities(self, d: Deciders, gets_hukou: np.ndarray, occupied: np.ndarray) -> list[Capacity]:
        """Dwellings per Haimen alternative (``occupied``: those occupied now, float[alt]), and spare school seats for
        children without a Haimen hukou."""
        pl, world = places(), self.world
        haimen_alt = pl.alt_in_haimen
        dwellings = Capacity(
            of_alt=np.where(haimen_alt, np.arange(pl.n_alt), -1),
            use=dwelling_use(d, world),
            room=world.housing.free(occupied),  # (inf outside Haimen)
        )
        admitted = world.policy.year(self.year).school_access
        seat_use = d.weight * d.school_children * admitted * ~gets_hukou
        spare = np.maximum(world.schools.seats - self.school_children(), 0.0)
        seats = Capacity(of_alt=np.where(haimen_alt, pl.alt_place, -1), use=seat_use, room=spare)
        return [dwellings, seats]

    # ----------------------------------------------------------- agent handles
    def household(self, key: int) -> Household:
        """A Mesa agent handle on the household with ``key`` (see ``abm.handles``)."""
        return self._handle(Household, key)

    def worker(self, key: int) -> Worker:
        """A Mesa agent handle on the person with ``key``."""
        return self._handle(Worker, key)

    def _handle(self, kind: type, key: int):
        if (kind, key) not in self.handles:
            self.handles[(kind, key)] = kind(self, key)
        return self.handles[(kind, key)]

    def sample_households(self, n: int) -> mesa.agentset.AgentSet:
        """Handles on ``n`` households drawn at random (with the model's own generator, not the keyed streams)."""
        keys = self.population.households.key
        chosen = self.rng.choice(keys, size=min(n, len(keys)), replace=False)
        return mesa.agentset.AgentSet([self.household(int(k)) for k in chosen], random=self.random)

    def _release_handles(self) -> None:
        """Remove the handles of households and persons no longer in Haimen."""
        if not self.handles:
            return
        present = {Household: self.population.households.key, Worker: self.population.persons.key}
        for kind, rows in present.items():
            held = [key for k, key in self.handles if k is kind]
            gone = np.asarray(held, dtype=np.uint64)[~np.isin(np.asarray(held, dtype=np.uint64), rows)]
            for key in gone.tolist():
                self.handles.pop((kind, key)).remove()

    # ---------------------------------------------------------------- outputs
    def tables(self) -> dict[str, Any]:
        """The run's tables as pandas DataFrames: yearly (by place), summary, flows, jobs, commuting, ages,
        spending."""
        return tables(self.datacollector)

    def outcomes(self) -> Any:
        """The declared outcomes of every year so far (``environment/data/outcomes.toml``): ``year, outcome, value``.

        Collected as the years are recorded (``abm.outcomes.Outcome.in_year``).
        """
        frame = pd.DataFrame(self.outcome_log, columns=["year", "outcome", "value"])
        return frame.astype({"year": int, "outcome": str, "value": float})
