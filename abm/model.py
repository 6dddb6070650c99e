"""MigrationModel: Haimen's population year by year under the plan's levers.

One step is one year: demography → labour → choices → markets → record.
Agents' state lives in numpy arrays (``agents.population``); every decision is
taken for all deciders at once from keyed random streams, so the same seed
gives the same dice to the same household in every scenario.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np

from abm.recording import AGE_BANDS, SUMMARY, band_label, make_collector
from agents.choice import Capacity, choose
from agents.demography import VitalRates, age_and_die, give_birth, split_households
from agents.household import Household, Worker
from agents.labour import (
    JobProspects,
    employment,
    find_jobs,
    in_labour_force,
    job_prospects,
    separate,
    start_and_stop_work,
)
from agents.population import COLLECTIVE, NO_JOB, OWNER, RENTER, Population
from agents.residence import (
    Deciders,
    arrive,
    considering,
    describe,
    dwelling_use,
    hukou_on_arrival,
    residence_nests,
    residence_utility,
)
from agents.streams import Channel, LazyRows, gumbel, uniform
from agents.synthesis import HAIMEN_CITY, draw_pool, draw_students, pool_households_per_year, synthesize
from environment.jobs import JobMarket
from environment.places import clusters, place_values, places
from environment.schools import SCHOOL_AGES
from environment.settings import Settings, resolve
from environment.world import World

DEFAULT_SCALE, MAX_SCALE = 100, 1000  # people per agent
FIRST_YEAR, LAST_YEAR, MAX_YEAR = 2020, 2035, 2050


class MigrationModel(mesa.Model):
    """Agent-based model of migration into, out of and within Haimen.

    Parameters
    ----------
    scale : people per agent (households are sampled 1 in ``scale``; weights keep totals exact).
    start, end : first year (the 2020 census) and last year simulated.
    rng : seed (int) of the keyed random streams; None draws one.
    settings : lever and parameter values by key (see ``abm levers`` / ``abm parameters``);
        anything not given takes its baseline (no plan) value.
    """

    def __init__(
        self,
        scale: int = DEFAULT_SCALE,
        start: int = FIRST_YEAR,
        end: int = LAST_YEAR,
        rng: int | None = None,
        **settings: Any,
    ) -> None:
        if isinstance(rng, np.integer):  # e.g. seeds from np.arange in a sweep
            rng = int(rng)
        super().__init__(rng=rng)
        if start != FIRST_YEAR:
            raise ValueError(f"start = {start}: runs start from the {FIRST_YEAR} census")
        if not FIRST_YEAR < end <= MAX_YEAR:
            raise ValueError(f"end = {end}: must be after {FIRST_YEAR} and at most {MAX_YEAR}")
        if not (isinstance(scale, int | np.integer) and 1 <= scale <= MAX_SCALE):
            raise ValueError(f"scale = {scale!r}: must be a whole number from 1 to {MAX_SCALE} (people per agent)")
        self.seed = int(rng) if isinstance(rng, int | np.integer) else int(self.rng.integers(2**31))
        self.settings: Settings = resolve(settings)
        self.scale, self.start, self.end, self.year = int(scale), start, end, start
        self.population = synthesize(self.settings, self.scale, self.seed)
        self.rates = VitalRates(self.settings, self.population, first_year=start + 1)
        self.world = self._build_world()
        self.external_population = place_values("population", outside_only=True).copy()
        self.handles: dict[tuple[type, int], Household | Worker] = {}
        self.datacollector = make_collector()
        self._record(flows=None, births=None, deaths=None)

    # ------------------------------------------------------------------ setup
    def _build_world(self) -> World:
        """The 2020 world, with jobs taken as residents first choose where to work."""
        pop, pl = self.population, places()
        labour = start_and_stop_work(pop, self.settings, self.seed, self.start)
        at_home = np.zeros((pl.n, clusters().n))
        np.add.at(
            at_home,
            (pop.households.place[pop.persons.household][labour], pop.persons.skill[labour]),
            pop.person_weight()[labour],
        )
        world = World(
            self.settings,
            occupied=self._occupied(),
            employed=at_home,
            children=self._school_children(),
            ties=self._initial_ties(),
        )
        find_jobs(pop, world, job_prospects(world, self.start, at_home), labour, self.seed, self.start)
        world.jobs = JobMarket(self.settings, employment(pop, labour))
        return world

    def _initial_ties(self) -> np.ndarray:
        """2020 ties: non-hukou residents by origin, and Haimen's registered people living elsewhere.

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

    # ---------------------------------------------------------------- the year
    def step(self) -> None:
        """One year: demography → labour → choices → markets → record."""
        self.year += 1
        births, deaths = self.demography()
        prospects = self.labour()
        flows = self.choose_residences(prospects)
        self.choose_jobs(prospects)
        self.markets(flows)
        self._record(flows=flows, births=births, deaths=deaths)
        self.running = self.year < self.end

    def demography(self) -> tuple[np.ndarray, np.ndarray]:
        """Ageing, deaths, births and new households; returns births and deaths per place."""
        pop, n = self.population, places().n
        deaths = age_and_die(pop, self.rates, self.seed, self.year, n)
        births = give_birth(pop, self.rates, self.world.policy, self.seed, self.year, n)
        alt_of_person = self._alt_of_households()[pop.persons.household]
        split_households(pop, self.settings, self.seed, self.year, self._room(), alt_of_person)
        return births, deaths

    def labour(self) -> JobProspects:
        """Trades and retirements, new jobs, quits; returns this year's job prospects."""
        labour = start_and_stop_work(self.population, self.settings, self.seed, self.year)
        self.world.jobs.grow(self.year, self.world.policy, self.world.airport_year)
        separate(self.population, self.world, labour, self.seed, self.year)
        return job_prospects(self.world, self.year, employment(self.population, labour))

    def choose_residences(self, prospects: JobProspects) -> np.ndarray:
        """Residents weighing a move and the outside pools choose where to live; returns flows float[alt, alt]."""
        pop, world, pl, y = self.population, self.world, places(), self.year
        pool = draw_pool(self.settings, self.seed, y, self.scale)
        d = Deciders.concat(
            describe(pop, considering(pop, world, self.seed, y), world, y, from_pool=False),
            describe(pool, np.arange(len(pool.households)), world, y, from_pool=True),
        )
        V, kind = residence_utility(d, world, prospects, y)
        nests = residence_nests(world)
        eps_nest = gumbel(self.seed, Channel.RESIDENCE_NEST, y, d.key, len(nests.scale))
        eps_alt = LazyRows(
            len(d), pl.n_alt, lambda rows: gumbel(self.seed, Channel.RESIDENCE, y, d.key[rows], pl.n_alt)
        )
        gets_hukou = hukou_on_arrival(d, world, self.seed, y)
        choice = choose(
            V,
            kind,
            d.current,
            self._capacities(d, gets_hukou),
            uniform(self.seed, Channel.LOTTERY, y, d.key),
            draw=nests.drawer(eps_nest, eps_alt),
        )
        moved = choice != d.current
        flows = np.zeros((pl.n_alt, pl.n_alt))
        np.add.at(flows, (d.current[moved], choice[moved]), (d.weight * d.members)[moved])
        # residents who move within Haimen or leave it
        residents = ~d.from_pool & moved
        stay_in = residents & pl.alt_in_haimen[choice]
        h = pop.households
        relocated = d.rows[stay_in & (pl.alt_place[choice] != pl.alt_place[d.current])]
        h.place[d.rows[stay_in]] = pl.alt_place[choice[stay_in]]
        h.urban[d.rows[stay_in]] = pl.alt_urban[choice[stay_in]]
        movers_work = np.isin(pop.persons.household, relocated)
        pop.persons.job[movers_work] = NO_JOB
        leaving = np.zeros(len(h), dtype=bool)
        leaving[d.rows[residents & ~pl.alt_in_haimen[choice]]] = True
        pop.remove_households(leaving)
        newcomers = arrive(pool, d, choice, gets_hukou, self.seed, y, world)
        world.newcomers = np.bincount(
            pl.alt(newcomers.households.place, newcomers.households.urban),
            weights=newcomers.households.weight,
            minlength=pl.n_alt,
        )
        pop.add(*_parts(newcomers))
        # vocational students enrolled from outside
        students = draw_students(self.settings, self.seed, y, self.scale, world.policy.vocational_students(y))
        if len(students.households):
            origin_alt = pl.alt(students.households.origin, True)
            college_alt = pl.alt(students.households.place, True)
            np.add.at(flows, (origin_alt, college_alt), students.households.weight)
            pop.add(*_parts(students))
        return flows

    def _capacities(self, d: Deciders, gets_hukou: np.ndarray) -> list[Capacity]:
        """Dwellings per Haimen alternative, and spare school seats for children without a Haimen hukou."""
        pl, world = places(), self.world
        haimen_alt = pl.alt_in_haimen
        dwellings = Capacity(
            of_alt=np.where(haimen_alt, np.arange(pl.n_alt), -1),
            use=dwelling_use(d, world),
            room=np.where(haimen_alt, self._room(), np.inf),
        )
        admitted = world.policy.value("nonlocal_school_access", self.year)
        seat_use = d.weight * d.school_children * admitted * ~gets_hukou
        spare = np.maximum(world.schools.seats - self._school_children(), 0.0)
        seats = Capacity(of_alt=np.where(haimen_alt, pl.alt_place, -1), use=seat_use, room=spare)
        return [dwellings, seats]

    def choose_jobs(self, prospects: JobProspects) -> None:
        """Job seekers (new adults, movers, newcomers, quitters) choose where to work."""
        labour = in_labour_force(self.population.persons, self.settings, self.year)
        find_jobs(self.population, self.world, prospects, labour, self.seed, self.year)

    def markets(self, flows: np.ndarray) -> None:
        """Wages and prices respond to vacancies; new dwellings and seats; tenure and hukou change; ties grow."""
        world, pop, y, s = self.world, self.population, self.year, self.settings
        labour = in_labour_force(pop.persons, s, y)
        world.jobs.adjust(employment(pop, labour))
        occupied = self._occupied()
        world.housing.update_prices(occupied)
        world.housing.build(y, world.policy, occupied)
        world.schools.expand(y, world.policy, self._school_children())
        h = pop.households
        in_haimen_since = h.arrived < y
        buys = (h.tenure == RENTER) & in_haimen_since & (uniform(self.seed, Channel.BUY, y, h.key) < s.buy_rate)
        h.tenure[buys] = OWNER
        naturalize = (
            (h.hukou_city != HAIMEN_CITY)
            & in_haimen_since
            & (uniform(self.seed, Channel.NATURALIZE, y, h.key) < s.hukou_rate)
        )
        h.hukou_city[naturalize] = HAIMEN_CITY
        world.ties.fade(s.ties_decay)
        world.ties.add(self._place_flows(flows))

    # --------------------------------------------------------------- helpers
    def _alt_of_households(self) -> np.ndarray:
        h = self.population.households
        return places().alt(h.place, h.urban)

    def _occupied(self) -> np.ndarray:
        """Dwellings occupied per alternative, float[alt]."""
        h = self.population.households
        use = h.weight * np.where(h.tenure == COLLECTIVE, self.settings.collective_space, 1.0)
        return np.bincount(self._alt_of_households(), weights=use, minlength=places().n_alt)

    def _room(self) -> np.ndarray:
        """Free dwellings per alternative (inf outside Haimen), float[alt]."""
        return self.world.housing.stock - self._occupied()

    def _school_children(self) -> np.ndarray:
        """Children of compulsory-school age per place, float[place]."""
        pop = self.population
        p, h = pop.persons, pop.households
        child = (p.age >= SCHOOL_AGES[0]) & (p.age <= SCHOOL_AGES[1])
        return np.bincount(h.place[p.household], weights=pop.person_weight() * child, minlength=places().n)

    @staticmethod
    def _place_flows(flows: np.ndarray) -> np.ndarray:
        """Alternative-to-alternative flows summed to places, float[place, place]."""
        pl = places()
        out = np.zeros((pl.n, pl.n))
        np.add.at(out, (pl.alt_place[:, None], pl.alt_place[None, :]), flows)
        return out

    # ---------------------------------------------------------------- record
    def _record(self, flows: np.ndarray | None, births: np.ndarray | None, deaths: np.ndarray | None) -> None:
        """Collect this year's tables and summary figures."""
        pop, pl, world, y = self.population, places(), self.world, self.year
        p, h = pop.persons, pop.households
        w = pop.person_weight()
        n = pl.n
        people = np.bincount(h.place[p.household], weights=w, minlength=n)
        urban = np.bincount(h.place[p.household], weights=w * h.urban[p.household], minlength=n)
        nan = np.full(n, np.nan)
        if flows is not None:
            pf = self._place_flows(flows)
            arrivals, departures = pf.sum(axis=0) - np.diag(pf), pf.sum(axis=1) - np.diag(pf)
            ext = ~pl.in_haimen
            ext_births = self.external_population * place_values("birth_rate", outside_only=True) / 1000
            ext_deaths = self.external_population * place_values("death_rate", outside_only=True) / 1000
            births = np.where(ext, ext_births, births)
            deaths = np.where(ext, ext_deaths, deaths)
            self.external_population = np.where(
                ext, self.external_population + births - deaths + arrivals - departures, 0.0
            )
        else:
            arrivals = departures = births = deaths = nan
        population = np.where(pl.in_haimen, people, self.external_population)
        urban_population = np.where(pl.in_haimen, urban, np.nan)
        labour = in_labour_force(p, self.settings, y)
        workers = np.bincount(h.place[p.household], weights=w * labour, minlength=n)
        filled = employment(pop, labour)
        households = np.bincount(h.place, weights=h.weight, minlength=n)
        children = self._school_children()
        price, rent = world.housing.price, world.housing.rent()
        dc = self.datacollector
        for i, key in enumerate(pl.keys):
            haimen = bool(pl.in_haimen[i])
            dc.add_table_row(
                "places",
                {
                    "year": y,
                    "place": key,
                    "in_haimen": haimen,
                    "population": population[i],
                    "urban_population": urban_population[i],
                    "births": births[i],
                    "deaths": deaths[i],
                    "arrivals": arrivals[i],
                    "departures": departures[i],
                    "households": households[i] if haimen else np.nan,
                    "workers": workers[i] if haimen else np.nan,
                    "jobs": world.jobs.jobs[i].sum() if haimen else np.nan,
                    "jobs_filled": filled[i].sum() if haimen else np.nan,
                    "price_urban": price[pl.alt(i, True)],
                    "price_rural": price[pl.alt(i, False)] if haimen else np.nan,
                    "rent_urban": rent[pl.alt(i, True)],
                    "school_children": children[i] if haimen else np.nan,
                    "school_seats": world.schools.seats[i] if haimen else np.nan,
                },
            )
        if flows is not None:
            for a, b in zip(*np.nonzero(flows), strict=True):
                dc.add_table_row(
                    "flows",
                    {
                        "year": y,
                        "origin": pl.keys[pl.alt_place[a]],
                        "origin_part": _part(a),
                        "destination": pl.keys[pl.alt_place[b]],
                        "destination_part": _part(b),
                        "people": flows[a, b],
                    },
                )
        cluster_keys = clusters().keys
        for i in pl.haimen:
            for c, ck in enumerate(cluster_keys):
                dc.add_table_row(
                    "jobs",
                    {
                        "year": y,
                        "place": pl.keys[i],
                        "cluster": ck,
                        "jobs": world.jobs.jobs[i, c],
                        "filled": filled[i, c],
                        "wage": world.jobs.wage[c, i],
                    },
                )
        in_haimen = pl.in_haimen[h.place[p.household]]
        band = np.searchsorted([lo for lo, _ in AGE_BANDS], p.age, side="right") - 1
        by_band = np.bincount(band * 2 + p.female, weights=w * in_haimen, minlength=2 * len(AGE_BANDS))
        for b, (lo, hi) in enumerate(AGE_BANDS):
            for s, sex in enumerate(("male", "female")):
                dc.add_table_row(
                    "ages", {"year": y, "age_band": band_label(lo, hi), "sex": sex, "people": by_band[2 * b + s]}
                )
        # summary figures (read by the DataCollector's model reporters)
        hm = pl.in_haimen
        self.haimen_population = people[hm].sum()
        self.urban_population = urban[hm].sum()
        self.urbanization = self.urban_population / self.haimen_population
        self.births = births[hm].sum()
        self.deaths = deaths[hm].sum()
        self.natural_change_per_mille = 1000 * (self.births - self.deaths) / self.haimen_population
        if flows is not None:
            self.arrivals = pf[np.ix_(~hm, hm)].sum()
            self.departures = pf[np.ix_(hm, ~hm)].sum()
            haimen_alt = pl.alt_in_haimen
            self.rural_to_urban = flows[np.ix_(haimen_alt & ~pl.alt_urban, haimen_alt & pl.alt_urban)].sum()
        else:
            self.arrivals = self.departures = self.rural_to_urban = np.nan
        self.net_migration = self.arrivals - self.departures
        working = labour & in_haimen
        self.working_in_shanghai = w[working & (p.job == pl.index("shanghai"))].sum()
        self.workers = w[working].sum()
        self.unemployed = w[working & (p.job == NO_JOB)].sum()
        family = pl.in_haimen[h.place] & (h.tenure != COLLECTIVE)
        self.households = h.weight[family].sum()
        self.average_household_size = (h.weight * pop.members())[family].sum() / self.households
        dc.collect(self)
        self._sync_handles()

    # ----------------------------------------------------------- agent handles
    def household(self, key: int) -> Household:
        """A Mesa agent handle on the household with ``key`` (see ``agents.household``)."""
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

    def _sync_handles(self) -> None:
        """Remove the handles of households and persons no longer in Haimen."""
        present = {Household: self.population.households.key, Worker: self.population.persons.key}
        for kind, key in list(self.handles):
            if not (present[kind] == np.uint64(key)).any():
                self.handles.pop((kind, key)).remove()

    # ---------------------------------------------------------------- outputs
    def tables(self) -> dict[str, Any]:
        """The run's tables as pandas DataFrames: yearly (by place), summary, flows, jobs, ages."""
        dc = self.datacollector
        summary = dc.get_model_vars_dataframe().reset_index(drop=True)[list(SUMMARY)]
        return {
            "yearly": dc.get_table_dataframe("places"),
            "summary": summary,
            "flows": dc.get_table_dataframe("flows"),
            "jobs": dc.get_table_dataframe("jobs"),
            "ages": dc.get_table_dataframe("ages"),
        }


def _parts(pop: Population):
    return pop.households, pop.persons


def _part(alt: int) -> str:
    pl = places()
    if not pl.alt_in_haimen[alt]:
        return ""
    return "urban" if pl.alt_urban[alt] else "rural"
