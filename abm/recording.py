"""What the model records each year, through Mesa's DataCollector. Recording only reads the model.

Model-level reporters give Haimen's totals (:data:`SUMMARY`, read from
``model.summary``); tables give one row per year and place (``places``, written
as ``yearly.parquet``), flows between places, jobs by place and cluster
(``filled`` counts the in-commuters too), commuting across Haimen's border
(``commuting``: in-commuters by home and Haimen place, Haimen's residents
working outside by home and job place), Haimen's age structure and what the
plan's payments cost (``spending``).
``registered_population`` counts the people living in Haimen whose household
holds a Haimen hukou (户籍); Haimen-registered people living elsewhere are not
tracked by the model, so it is not the official registered population (which
counts them wherever they live). Counts
are people (weights summed), not agents. The 2020 row is the starting
population: its flows are empty (NaN).
"""

from __future__ import annotations

from bisect import bisect_left
from functools import cache, partial
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from mesa import DataCollector

from abm.outcomes import OUTCOMES
from agents.constants import HAIMEN_CITY
from agents.payments import Residents, paid_at_move
from agents.population import COLLECTIVE
from environment.demography_inputs import BAND_STARTS, band_label, band_of_age
from environment.places import clusters, places
from environment.policy import PaymentDue
from environment.schools import SCHOOL_AGES
from environment.settings import COST_LEVELS, Lever, levers

if TYPE_CHECKING:
    from abm.model import Headcounts, MigrationModel

SUMMARY = (
    "year",
    "haimen_population",
    "registered_population",
    "urban_population",
    "urbanization",
    "births",
    "deaths",
    "natural_change_per_mille",
    "arrivals",
    "departures",
    "net_migration",
    "rural_to_urban",
    "working_in_shanghai",
    "workers",
    "unemployed",
    "households",
    "average_household_size",
)
TABLES = {
    "places": [
        "year",
        "place",
        "in_haimen",
        "population",
        "urban_population",
        "births",
        "deaths",
        "arrivals",
        "departures",
        "households",
        "workers",
        "jobs",
        "jobs_filled",
        "price_urban",
        "price_rural",
        "rent_urban",
        "school_children",
        "school_seats",
    ],
    "flows": ["year", "origin", "origin_part", "destination", "destination_part", "people"],
    "jobs": ["year", "place", "cluster", "jobs", "filled", "wage"],
    "commuting": ["year", "home", "work", "people"],
    "ages": ["year", "age_band", "sex", "people"],
    "spending": ["year", "measure", "lever", "quantity", "unit", "recipients", "yuan", "external_yuan"],
}


def summary_value(model: MigrationModel, name: str) -> float:
    """A model reporter: one of this year's summary figures."""
    return model.summary[name]


def outcome_value(model: MigrationModel, name: str) -> float:
    """A model reporter: one of this year's declared outcomes (NaN where it has no value this year)."""
    return model.outcome_values.get(name, np.nan)


def reported_outcomes() -> tuple[str, ...]:
    """Declared outcomes (and their target gaps) reported each year, beyond the summary figures."""
    keys = [k for o in OUTCOMES.values() for k in (o.key, f"{o.key}_gap" if o.target else "") if k]
    return tuple(k for k in keys if k not in SUMMARY)


def make_collector() -> DataCollector:
    """A DataCollector with a model reporter per summary figure and declared outcome, and the tables.

    So ``mesa.batch_run`` and any Mesa tool see the declared outcomes as columns.
    """
    reporters = {name: partial(summary_value, name=name) for name in SUMMARY}
    reporters |= {name: partial(outcome_value, name=name) for name in reported_outcomes()}
    return DataCollector(model_reporters=reporters, tables=TABLES)


def current_outcomes(model: MigrationModel) -> dict[str, float]:
    """This year's declared outcomes, from this year's rows (and the census year's, for growth since then)."""
    recorded, n = model.datacollector.tables, places().n

    def this_year(table: str) -> dict[str, list]:
        columns = recorded[table]
        first = bisect_left(columns["year"], model.year)  # rows are appended year by year
        return {c: v[first:] for c, v in columns.items()}

    now = {  # the columns as lists: each outcome converts the few it reads
        "summary": {k: [v] for k, v in model.summary.items()},
        "yearly": {c: v[-n:] for c, v in recorded["places"].items()},
        "spending": this_year("spending"),
        "flows": this_year("flows"),
        "commuting": this_year("commuting"),
    }
    census = {c: v[:n] for c, v in recorded["places"].items()}
    values: dict[str, float] = {}
    for outcome in OUTCOMES.values():
        values |= outcome.in_year(now, model.year, census, model.end)
    return values


def year_counts(model: MigrationModel, counted: Headcounts) -> dict[str, Any]:
    """What the year's summary and tables share, counted once: people, urban people and workers per place
    (Haimen's units; outside places from their stocks), the labour force, jobs filled and school children
    (``counted``), births, deaths and the moves between places (None in the census year); households per place;
    per person row its people, home place, whether that is in Haimen and whether it is registered there (lives in
    Haimen in a household with its hukou); the rows in the labour force, their people and place of work; and whether
    each household lives in Haimen."""
    pop, pl = model.population, places()
    p, h = pop.persons, pop.households
    w = pop.person_weight()
    place = h.place.astype(np.intp)  # an index type: no conversion in each lookup and count below
    home = place[p.household]
    people = np.bincount(home, weights=w, minlength=pl.n)
    # w * urban, to the bit, from one gather of the households' urban weights (x * 1.0 is x, x * 0.0 is 0.0)
    urban = np.bincount(home, weights=(h.weight * h.urban).take(p.household), minlength=pl.n)
    labour = counted.labour
    working = np.flatnonzero(labour)  # the others would add zeros
    working_weight = w[working]
    household_in_haimen = pl.in_haimen[place]
    births, deaths = _births_deaths(model)
    return {
        "population": np.where(pl.in_haimen, people, model.outside.population),
        "urban_population": np.where(pl.in_haimen, urban, np.nan),
        "workers": np.bincount(home[working], weights=working_weight, minlength=pl.n),
        "households": np.bincount(place, weights=h.weight, minlength=pl.n),
        "labour": labour,
        "working": working,
        "working_weight": working_weight,
        "working_job": p.job[working],
        "filled": counted.filled,
        "children": counted.children,
        "births": births,
        "deaths": deaths,
        "place_flows": None if model.year == model.start else model.place_flows(),
        "person_weight": w,
        "home": home,
        # as usual everyone lives in Haimen: no lookup per person
        "in_haimen": np.ones(len(p), dtype=bool) if household_in_haimen.all() else pl.in_haimen[home],
        "household_in_haimen": household_in_haimen,
        "registered": (household_in_haimen & (h.hukou_city == HAIMEN_CITY))[p.household],
    }


def _births_deaths(model: MigrationModel) -> tuple[np.ndarray, np.ndarray]:
    """Births and deaths per place this year (outside places: their stocks' own), NaN in the census year."""
    if model.year == model.start:
        nan = np.full(places().n, np.nan)
        return nan, nan
    outside = ~places().in_haimen
    births = np.where(outside, model.outside.births, model.events.births)
    deaths = np.where(outside, model.outside.deaths, model.events.deaths)
    return births, deaths


@cache
def _summary_blocks() -> tuple[tuple[np.ndarray, np.ndarray], ...]:
    """Index blocks of the summary's moves: place flows into and out of Haimen, and alternative flows from
    Haimen's rural parts to its urban parts."""
    pl = places()
    hm, haimen_alt = pl.in_haimen, pl.alt_in_haimen
    return np.ix_(~hm, hm), np.ix_(hm, ~hm), np.ix_(haimen_alt & ~pl.alt_urban, haimen_alt & pl.alt_urban)


def summarize(model: MigrationModel, counts: dict[str, Any]) -> dict[str, float]:
    """Haimen's summary figures for the model's current year (``counts``: :func:`year_counts`)."""
    pop, pl = model.population, places()
    h = pop.households
    hm = pl.in_haimen
    births, deaths = counts["births"], counts["deaths"]
    people = counts["population"][hm].sum()
    urban = counts["urban_population"][hm].sum()
    pf = counts["place_flows"]
    if pf is None:
        arrivals = departures = rural_to_urban = np.nan
    else:
        into, out_of, rural_urban = _summary_blocks()
        arrivals, departures = pf[into].sum(), pf[out_of].sum()
        rural_to_urban = model.events.flows[rural_urban].sum()
    w, household_in_haimen = counts["person_weight"], counts["household_in_haimen"]
    registered = counts["registered"]
    working_weight, job = _working_in_haimen(counts)
    family = household_in_haimen & (h.tenure != COLLECTIVE)
    households = h.weight[family].sum()
    return {
        "year": model.year,
        "haimen_population": people,
        "registered_population": w[registered].sum(),
        "urban_population": urban,
        "urbanization": urban / people,
        "births": births[hm].sum(),
        "deaths": deaths[hm].sum(),
        "natural_change_per_mille": 1000 * (births[hm].sum() - deaths[hm].sum()) / people,
        "arrivals": arrivals,
        "departures": departures,
        "net_migration": arrivals - departures,
        "rural_to_urban": rural_to_urban,
        "working_in_shanghai": working_weight[np.take(_works_in("shanghai"), job)].sum(),
        "workers": working_weight.sum(),
        "unemployed": working_weight[job < 0].sum(),
        "households": households,
        "average_household_size": (h.weight * pop.members())[family].sum() / households,
    }


def _working_in_haimen(counts: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """People and place of work of the person rows in the labour force and in Haimen, in row order."""
    weight, job = counts["working_weight"], counts["working_job"]
    if counts["household_in_haimen"].all():  # as usual: the rows already gathered
        return weight, job
    in_haimen = counts["in_haimen"][counts["working"]]
    return weight[in_haimen], job[in_haimen]


@cache
def _works_in(area: Literal["shanghai", "outside_haimen"]) -> np.ndarray:
    """Whether a place of work is in Shanghai (Chongming included) or outside Haimen, bool[place + 1], indexed by
    place (the last entry, read for -1: no job, false)."""
    pl = places()
    in_area = {"shanghai": pl.city == pl.city[pl.index("shanghai")], "outside_haimen": ~pl.in_haimen}[area]
    return np.append(in_area, False)


def record_tables(model: MigrationModel, counts: dict[str, Any]) -> None:
    """Add the year's rows to the DataCollector's tables (``counts``: :func:`year_counts`), table by table."""
    dc, y = model.datacollector, model.year
    append_rows(dc, "places", y, _place_columns(model, counts))
    append_rows(dc, "flows", y, _flow_columns(model))
    append_rows(dc, "jobs", y, _job_columns(model, counts))
    append_rows(dc, "commuting", y, _commuting_columns(model, counts))
    append_rows(dc, "ages", y, _age_columns(model, counts))
    append_rows(dc, "spending", y, _as_columns(spending_rows(model, counts), TABLES["spending"][1:]))


def append_rows(dc: DataCollector, name: str, year: int, columns: dict[str, list]) -> None:
    """Append rows given as columns (equal-length lists) to a DataCollector table, ``year`` on each row.

    The same lists as one ``add_table_row`` per row would build; the columns must be exactly the table's.
    """
    table = dc.tables[name]
    if ["year", *columns] != list(table):
        raise ValueError(f"table {name!r} has columns {list(table)}; rows given for {['year', *columns]}")
    lengths = {len(values) for values in columns.values()}
    if len(lengths) > 1:
        raise ValueError(f"table {name!r}: columns of unequal lengths {sorted(lengths)}")
    table["year"].extend([year] * (lengths.pop() if lengths else 0))
    for column, values in columns.items():
        table[column].extend(values)


def _as_columns(rows: list[dict], names: list[str]) -> dict[str, list]:
    """Rows (dicts) as columns, in the order of ``names``."""
    return {name: [row[name] for row in rows] for name in names}


def _place_columns(model: MigrationModel, counts: dict[str, Any]) -> dict[str, list]:
    pl, world = places(), model.world
    hm, pf = pl.in_haimen, counts["place_flows"]
    if pf is None:
        arrivals = departures = np.full(pl.n, np.nan)
    else:
        arrivals, departures = pf.sum(axis=0) - np.diag(pf), pf.sum(axis=1) - np.diag(pf)
    households = counts["households"]
    price, rent = world.housing.price, world.housing.rent()
    urban_alt, rural_alt = pl.alt_of[:, 0], pl.alt_of[:, 1]

    def inside(values: np.ndarray) -> list:
        return np.where(hm, values, np.nan).tolist()

    return {
        "place": list(pl.keys),
        "in_haimen": hm.tolist(),
        "population": counts["population"].tolist(),
        "urban_population": counts["urban_population"].tolist(),
        "births": counts["births"].tolist(),
        "deaths": counts["deaths"].tolist(),
        "arrivals": arrivals.tolist(),
        "departures": departures.tolist(),
        "households": inside(households),
        "workers": inside(counts["workers"]),
        "jobs": inside(world.jobs.jobs.sum(axis=1)),
        "jobs_filled": inside(counts["filled"].sum(axis=1)),
        "price_urban": price[urban_alt].tolist(),
        "price_rural": inside(price[rural_alt]),
        "rent_urban": rent[urban_alt].tolist(),
        "school_children": inside(counts["children"]),
        "school_seats": inside(world.schools.seats),
    }


def _part(alt: int) -> str:
    pl = places()
    if not pl.alt_in_haimen[alt]:
        return ""
    return "urban" if pl.alt_urban[alt] else "rural"


@cache
def _alt_labels() -> tuple[np.ndarray, np.ndarray]:
    """Each alternative's place key and part (``urban`` or ``rural`` in Haimen, empty outside), as object arrays."""
    pl = places()
    keys = [pl.keys[i] for i in pl.alt_place]
    return np.array(keys, dtype=object), np.array([_part(a) for a in range(pl.n_alt)], dtype=object)


def _flow_columns(model: MigrationModel) -> dict[str, list]:
    if model.year == model.start:
        return {column: [] for column in TABLES["flows"][1:]}
    flows = model.events.flows
    origin, destination = np.nonzero(flows)  # row by row, as the moves are listed
    key, part = _alt_labels()
    return {
        "origin": key[origin].tolist(),
        "origin_part": part[origin].tolist(),
        "destination": key[destination].tolist(),
        "destination_part": part[destination].tolist(),
        "people": flows[origin, destination].tolist(),
    }


@cache
def _job_labels() -> tuple[list[str], list[str]]:
    """The jobs table's place and cluster of each row: Haimen's places, each with every cluster."""
    pl, keys = places(), list(clusters().keys)
    return [pl.keys[i] for i in pl.haimen for _ in keys], keys * len(pl.haimen)


def _job_columns(model: MigrationModel, counts: dict[str, Any]) -> dict[str, list]:
    haimen, jobs = places().haimen, model.world.jobs
    place, cluster = _job_labels()
    return {
        "place": place,
        "cluster": cluster,
        "jobs": jobs.jobs[haimen].ravel().tolist(),
        "filled": counts["filled"][haimen].ravel().tolist(),
        "wage": jobs.wage[haimen].ravel().tolist(),
    }


def _commuting_columns(model: MigrationModel, counts: dict[str, Any]) -> dict[str, list]:
    """People working on the other side of Haimen's border from their home, by home and job place (rows with
    anyone): the in-commuters holding Haimen's jobs (``JobMarket.in_commuters``), then Haimen's residents in the
    labour force holding a job outside Haimen; rows in the order of home and job place."""
    pl = places()
    across = model.world.jobs.in_commuters.sum(axis=2)  # [home, work]: homes outside, jobs in Haimen
    working, job = counts["working"], counts["working_job"]
    outside = np.take(_works_in("outside_haimen"), job)
    if not counts["household_in_haimen"].all():
        outside &= counts["in_haimen"][working]
    out = np.flatnonzero(outside)  # residents working outside Haimen
    at = counts["home"][working[out]] * pl.n + job[out]  # flat [home, work]: added one by one in row order, as before
    np.add.at(across.reshape(-1), at, counts["working_weight"][out])
    home, work = np.nonzero(across)
    return {
        "home": [pl.keys[i] for i in home],
        "work": [pl.keys[i] for i in work],
        "people": across[home, work].tolist(),
    }


@cache
def _age_labels() -> tuple[list[str], list[str]]:
    """The ages table's age band and sex of each row: every band, male then female."""
    return [band_label(lo) for lo in BAND_STARTS for _ in range(2)], ["male", "female"] * len(BAND_STARTS)


def _age_columns(model: MigrationModel, counts: dict[str, Any]) -> dict[str, list]:
    p = model.population.persons
    in_haimen = counts["in_haimen"]
    row_of_age = 2 * band_of_age(np.arange(int(p.age.max(initial=0)) + 1))  # by age, looked up (not per person)
    w = counts["person_weight"]
    weight = w if in_haimen.all() else w * in_haimen  # as usual, all live in Haimen: the weights as they are
    row = np.take(row_of_age.astype(np.int16), p.age)  # small codes: cheaper to look up and count
    row += p.female
    by_band = np.bincount(row, weights=weight, minlength=2 * len(BAND_STARTS))
    age_band, sex = _age_labels()
    return {"age_band": age_band, "sex": sex, "people": by_band.tolist()}


def spending_rows(model: MigrationModel, counts: dict[str, Any]) -> list[dict]:
    """What every lever costs this year: its quantity (``unit``: what its unit cost is per, or, for a payment, its
    recipients), payment recipients, and yuan from Haimen's budget or, for capital financed outside it
    (``budget = "external"``), in ``external_yuan``; a row per lever with a quantity or yuan, in declaration order.

    Quantities the policy alone gives (jobs delivered above the trend, seats, dwellings, student-years, index
    points, projects, years) come from :meth:`environment.policy.Policy.quantity`; the others from the residents:
    a payment's recipients and yuan (:func:`payment_spending`), residents covered (:func:`covered_residents`),
    pupils admitted (:func:`admitted_pupils`). Yuan are at the central unit cost (:func:`spending_at` gives the
    low and high).
    """
    if model.year == model.start:
        return []
    policy, y = model.world.policy, model.year
    due = {d.lever: d for d in policy.year(y).payments}
    residents = paid_residents(model, counts)
    rows = []
    for lever in costed_levers():
        cost, recipients = lever.cost, 0.0
        if cost.per == "yuan_paid":
            recipients, yuan = payment_spending(model, counts, residents, due[lever.key])
            quantity, unit = recipients, lever.payment.per
        else:
            counted = {"resident_year": covered_residents, "admitted_pupil": admitted_pupils}.get(cost.per)
            quantity = counted(model, counts, lever) if counted else policy.quantity(lever.key, y)
            unit, yuan = cost.per, quantity * cost.yuan
        if quantity > 0 or yuan > 0:
            external = cost.budget == "external"
            rows.append(
                {
                    "measure": lever.measure,
                    "lever": lever.key,
                    "quantity": quantity,
                    "unit": unit,
                    "recipients": recipients,
                    "yuan": 0.0 if external else yuan,
                    "external_yuan": yuan if external else 0.0,
                }
            )
    return rows


@cache
def costed_levers() -> tuple[Lever, ...]:
    """The levers with a unit cost (every modelled one), in declaration order."""
    return tuple(lv for lv in levers().values() if lv.cost is not None)


def paid_residents(model: MigrationModel, counts: dict[str, Any]) -> Residents:
    """The features payment rules read of this year's households and persons, as the spending table counts them."""
    return Residents(
        model.population,
        household_in_haimen=counts["household_in_haimen"],
        labour=counts["labour"],
        seed=model.seed,
        settings=model.settings,
        year=model.year,
    )


def payment_spending(
    model: MigrationModel, counts: dict[str, Any], residents: Residents, due: PaymentDue
) -> tuple[float, float]:
    """Recipients (weights) a payment pays this year and the yuan paid: each the amount in force when it became
    entitled (``Residents.since``; the year's for a payment at the move, counted there) times its months."""
    months = due.rule.months
    if paid_at_move(due.rule):  # known only at the move: counted there
        count = model.events.paid_at_move.get(due.lever, 0.0)
        return count, count * (due.amount * months)
    policy = model.world.policy
    amounts = policy.amounts(due.lever, model.year)[2]  # the distinct amounts in force, ascending
    if amounts[-1] <= 0:  # pays nothing: no recipients to find
        return 0.0, 0.0
    weight = model.population.households.weight if due.rule.per == "household" else counts["person_weight"]
    paid = weight * residents.paid(due.rule)
    if len(amounts) == 1:  # one amount for everyone (a payment unchanged since it began): count × amount
        count = float(paid.sum())
        return count, count * (amounts[0] * months)
    amount = policy.amount_since(due.lever, residents.since(due.rule), model.year)[0]  # each row's
    count = yuan = 0.0
    for value in amounts[amounts > 0]:
        part = float(paid[amount == value].sum())
        count, yuan = count + part, yuan + part * (value * months)
    return count, yuan


def beyond_baseline(model: MigrationModel, lever: Lever) -> float:
    """How far a share lever stands above its baseline this year (0 where it does not: nobody is counted)."""
    return max(model.world.policy.value(lever.key, model.year) - lever.baseline, 0.0)


def covered_residents(model: MigrationModel, counts: dict[str, Any], lever: Lever) -> float:
    """Residents of Haimen without a Haimen hukou covered this year beyond the baseline's share (persons)."""
    extra = beyond_baseline(model, lever)
    if not extra:
        return 0.0
    nonlocal_ = ~counts["registered"]
    if not counts["household_in_haimen"].all():  # as usual everyone lives in Haimen
        nonlocal_ &= counts["in_haimen"]
    return extra * float(counts["person_weight"][nonlocal_].sum())


def admitted_pupils(model: MigrationModel, counts: dict[str, Any], lever: Lever) -> float:
    """Children of compulsory-school age without a Haimen hukou who arrived in Haimen this year, admitted beyond the
    baseline's share (persons)."""
    extra = beyond_baseline(model, lever)
    if not extra:
        return 0.0
    p, h = model.population.persons, model.population.households
    arrived = counts["household_in_haimen"] & (h.arrived == model.year) & (h.hukou_city != HAIMEN_CITY)
    pupils = arrived[p.household] & (p.age >= SCHOOL_AGES[0]) & (p.age <= SCHOOL_AGES[1])
    return extra * float(counts["person_weight"][pupils].sum())


def spending_at(spending: pd.DataFrame, level: str) -> pd.DataFrame:
    """A run's spending table at the ``low``, ``central`` or ``high`` unit costs of its levers (``[KEY.cost]``).

    Costs do not feed back into behaviour (payments act through the residence choice, and cost what they pay), so
    the range applies to the recorded quantities afterwards: each row's ``yuan`` and ``external_yuan`` scaled by
    its lever's unit cost at ``level`` over the central one (a cost whose range is 0 stays 0).
    """
    if level not in COST_LEVELS:
        raise ValueError(f"level = {level!r}: one of {', '.join(COST_LEVELS)}")
    costs = {lv.key: lv.cost for lv in costed_levers()}
    ratio = spending.lever.map(lambda key: costs[key].at(level) / costs[key].yuan if costs[key].yuan else 0.0)
    return spending.assign(yuan=spending.yuan * ratio, external_yuan=spending.external_yuan * ratio)


def tables(dc: DataCollector) -> dict[str, pd.DataFrame]:
    """A run's tables as pandas DataFrames: yearly (by place), summary, flows, jobs, commuting, ages, spending."""
    summary = dc.get_model_vars_dataframe().reset_index(drop=True)[list(SUMMARY)]
    out = {"yearly": dc.get_table_dataframe("places"), "summary": summary}
    for name in ("flows", "jobs", "commuting", "ages", "spending"):
        frame = dc.get_table_dataframe(name)
        out[name] = frame if len(frame) else pd.DataFrame(columns=TABLES[name])
    return out
