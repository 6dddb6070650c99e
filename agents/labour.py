"""Workers: entering and leaving the labour force, and choosing where to work.

A worker whose trade is in cluster ``c``, living in alternative ``a``, values a job in
place ``w`` and cluster ``c'`` at ``β_wage·log wage[w,c'] − β_commute·minutes[a,w]
− β_long·(minutes beyond an hour) + μ·log openings[w,c'] + κ·[another city] − switch·[c' ≠ c]``; taking it makes
``c'`` the worker's cluster. The logit over jobs gives each worker's expected wage
and, as a logsum without the wage, the job accessibility that enters the
household's residence choice.

Seekers apply for one job a year, weighing each also by the chance of being
hired there (directed search); in each place and cluster a matching function
of applicants and vacancies decides how many are hired (Haimen's jobs are
limited per place and cluster; the other places are large markets). Those not
hired stay unemployed for the year and seek again the next.

The outside places' workers are aggregates, not agents: each year a share of
them (``job_switch_rate``, as of Haimen's workers) seeks a job, weighing every
job by the same utility from where they live, Haimen's jobs with
``in_commuting_constant`` added, and those who apply to Haimen's pools enter the
same directed search and matching. Hired, they commute in: they hold the job
(``JobMarket.in_commuters``) without becoming residents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from agents.census_population import resident_cluster_mix
from agents.choice import fits_in_order, inverse_cdf_draw, logit_probabilities, logsum, note_rounds, rounds_allowed
from agents.constants import ADULT_AGE
from agents.person_draws import draw_clusters
from agents.population import NO_JOB, Persons, Population
from agents.rows import counted_on
from agents.streams import Channel, uniform, uniform_slots
from environment.inputs import constant
from environment.jobs import JobMarket, outside_workers
from environment.places import cluster_mix, clusters, places
from environment.settings import Settings
from environment.world import World

NO_CONNECTION_MINUTES = 1e4  # the commute standing in for no connection at all: far beyond any job's reach


def in_labour_force(persons: Persons, settings: Settings, year: int) -> np.ndarray:
    """Persons of working age who take part in the labour market, bool[person]."""
    farmer = persons.cluster == clusters().agriculture
    group = farmer.view(np.uint8) << 1
    group |= persons.female.view(np.uint8)  # small codes, looked up (cheaper than where)
    working = persons.age < np.take(retirement_ages(settings), group)  # np.take: far cheaper than [group] on uint8
    working &= persons.age >= ADULT_AGE
    working &= persons.participates
    working &= persons.student_until < year
    return working


def retirement_ages(settings: Settings) -> np.ndarray:
    """Age at which work stops by ``2·farmer + female``: men, women, farmers (either sex), int16[4] (whole years,
    as the settings require)."""
    male, female, farmer = settings.retirement_age_male, settings.retirement_age_female, settings.farmer_retirement_age
    return np.array([male, female, farmer, farmer], dtype=np.int16)


def wage_factor(persons: Persons, settings: Settings) -> np.ndarray:
    """Individual wage relative to the place-and-cluster wage (college premium), float[person]."""
    return 1.0 + settings.college_wage_premium * persons.college


@dataclass
class JobProspects:
    """What the job market offers from each residence alternative this year.

    Jobs are (place, cluster) pairs, flattened as ``place * n_clusters + cluster``.
    """

    utility: np.ndarray  # float[cluster, alt, job]: systematic utility of a job for a worker of that cluster
    expected_wage: np.ndarray  # float[cluster, alt]: yuan/yr
    accessibility: np.ndarray  # float[cluster, alt]: logsum of openings over commute, without the wage


def job_prospects(world: World, year: int, employed: np.ndarray) -> JobProspects:
    """Job utilities, expected wages and accessibility given who is employed where."""
    s, pl = world.settings, places()
    n_clusters = clusters().n
    place_part = _place_utility(world.transport.commute_minutes(year), s)  # [alt, place]
    openings = world.jobs.openings(employed)  # [place, cluster]
    switch = -s.cluster_switch_cost * (1.0 - np.eye(n_clusters))  # [worker's cluster, job's cluster]
    # access[worker's cluster, alt, place, job's cluster]: place and openings added once for all clusters (the same
    # sums as adding them for each), then the switch
    access = place_part[:, :, None] + s.job_size_coefficient * np.log(openings)[None, :, :]
    access = access[None] + switch[:, None, None, :]
    access = access.reshape(n_clusters, pl.n_alt, pl.n * n_clusters)
    wage = world.jobs.wage.ravel()  # [place * cluster]
    utility = access + s.beta_wage * np.log(wage)[None, None, :]
    weighted = logit_probabilities(utility)
    weighted *= wage  # in place on the new array, and then written over by the logsum
    expected = weighted.sum(axis=2)
    return JobProspects(utility=utility, expected_wage=expected, accessibility=logsum(access, 2, scratch=weighted))


def _place_utility(minutes: np.ndarray, s: Settings) -> np.ndarray:
    """The commute's and the other city's part of a job's utility from each alternative to each place of work,
    float[alt, place] (read-only), given the commute ``minutes`` (float[alt, place], read-only): computed again only
    when the minutes (another array: other projects open, another run) or the settings' values change."""
    values = (s.beta_commute, s.beta_long_commute, s.cross_city_job, constant("long_commute"))
    kept = _place_utilities.get("kept")
    if kept is not None and kept[0] is minutes and kept[1] == values:
        return kept[2]
    pl = places()
    cross_city = pl.city[pl.alt_place][:, None] != pl.city[None, :]
    connected = np.where(np.isfinite(minutes), minutes, NO_CONNECTION_MINUTES)
    extra = np.maximum(connected - values[3], 0.0)
    commute = values[0] * connected + values[1] * extra
    utility = -commute + values[2] * cross_city
    utility.flags.writeable = False
    if not minutes.flags.writeable:  # kept only for minutes no one can change (held: no other array takes their id)
        _place_utilities["kept"] = minutes, values, utility
    return utility


_place_utilities: dict[str, tuple[np.ndarray, tuple[float, ...], np.ndarray]] = {}  # the last minutes' utilities


def employment(pop: Population, labour: np.ndarray) -> np.ndarray:
    """Weighted workers by job place and cluster, float[place, cluster]."""
    has_job = labour & (pop.persons.job >= 0)
    return _by_pool(*_pools_held(pop, np.flatnonzero(has_job)))


def _by_pool(pool: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """People by job pool, float[place, cluster], given each row's pool and people (in row order)."""
    # bincount adds in row order, as np.add.at would: the same sums to the bit
    return np.bincount(pool, weights=weight, minlength=places().n * clusters().n).reshape(places().n, clusters().n)


def _pools_held(pop: Population, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The job pool (``place * n_clusters + cluster``, intp) held by each person at ``rows`` and the people each row
    stands for (float)."""
    p = pop.persons
    pool = p.job[rows].astype(np.intp)
    pool *= clusters().n
    pool += p.cluster[rows]
    return pool, pop.households.weight[p.household[rows]]


@dataclass
class Workforce:
    """The labour force and where its residents work, as counted once the persons last changed."""

    labour: np.ndarray  # bool[person]: in the labour force
    employed: np.ndarray  # float[place, cluster]: residents employed by place of work and cluster (:func:`employment`)

    @classmethod
    def counted(cls, pop: Population, settings: Settings, year: int) -> Workforce:
        """The workforce of ``pop`` as it is now."""
        labour = in_labour_force(pop.persons, settings, year)
        return cls(labour, employment(pop, labour))

    def joined_by(self, newcomers: Population, settings: Settings, year: int) -> Workforce:
        """The workforce once ``newcomers`` are appended to the population it counts: their labour force after its
        rows, and their jobs added to its counts row by row, as :func:`employment` adds them (the same numbers, to
        the bit, as counting every row again)."""
        labour = in_labour_force(newcomers.persons, settings, year)
        pool, weight = _pools_held(newcomers, np.flatnonzero(labour & (newcomers.persons.job >= 0)))
        return Workforce(np.concatenate([self.labour, labour]), counted_on(self.employed, pool, weight))

    def filled(self, world: World) -> np.ndarray:
        """Jobs filled by place and cluster: the residents employed and the in-commuters, float[place, cluster]
        (people)."""
        return self.employed + world.jobs.in_commuting()


def filled_jobs(pop: Population, world: World, labour: np.ndarray) -> np.ndarray:
    """Jobs filled by place and cluster, as the persons are now (:meth:`Workforce.filled`)."""
    return Workforce(labour, employment(pop, labour)).filled(world)


def start_and_stop_work(pop: Population, settings: Settings, seed: int, year: int) -> np.ndarray:
    """Give new adults the cluster of their trade and end the jobs of those leaving work; returns the labour force."""
    p, pl = pop.persons, places()
    new_adult = np.flatnonzero((p.age >= ADULT_AGE) & (p.cluster < 0))
    if len(new_adult):
        home = p.household[new_adult]
        alt = pl.alt(pop.households.place[home], pop.households.urban[home])
        p.cluster[new_adult] = draw_clusters(seed, year, p.key[new_adult], resident_cluster_mix(settings), alt)
    labour = in_labour_force(p, settings, year)
    p.job[np.flatnonzero(~labour & (p.job >= 0))] = NO_JOB  # few rows: by index (a mask over all costs far more)
    return labour


def end_jobs(pop: Population, world: World, labour: np.ndarray, seed: int, year: int) -> np.ndarray:
    """Job switchers quit, residents and in-commuters alike; where a place's jobs shrank below those filled, the
    in-commuters lose their share of the excess and the last residents in the layoff order the rest.

    Returns the jobs filled that remain (:func:`filled_jobs`).
    """
    p = pop.persons
    employed = np.flatnonzero(p.job >= 0)  # only they draw
    quits = uniform(seed, Channel.JOB_SWITCH, year, p.key[employed]) < world.settings.job_switch_rate
    p.job[employed[quits]] = NO_JOB
    world.jobs.commuters_leave(world.settings.job_switch_rate)
    held = employed[~quits]
    held = held[labour[held]]  # the residents still employed, in row order (as employment() counts them)
    pool, weight = _pools_held(pop, held)
    residents, commuting = _by_pool(pool, weight), world.jobs.in_commuting()
    excess = residents + commuting - world.jobs.jobs
    excess[~places().in_haimen] = 0.0
    if not (excess > 1e-9).any():
        return residents + commuting
    over = excess > 1e-9
    world.jobs.commuters_leave(np.divide(excess, residents + commuting, out=np.zeros_like(excess), where=over))
    excess *= np.divide(residents, residents + commuting, out=np.zeros_like(excess), where=over)  # the residents' part
    cutting = (excess > 1e-9).ravel()
    in_cut = cutting[pool]
    held, pool, weight = held[in_cut], pool[in_cut], weight[in_cut]  # the holders of the pools that shed jobs
    priority = uniform(seed, Channel.LAYOFF, year, p.key[held])  # keyed: each row's draw as if all had drawn
    for cut in np.flatnonzero(cutting):
        holders = np.flatnonzero(pool == cut)
        order = holders[np.argsort(-priority[holders], kind="stable")]
        lose = order[np.cumsum(weight[order]) - weight[order] < excess.ravel()[cut] - 1e-9]
        p.job[held[lose]] = NO_JOB
    return filled_jobs(pop, world, labour)


@dataclass
class Matching:
    """The year's job search: what seekers expected, where they applied and who was hired."""

    finding_rate: np.ndarray  # float[place * cluster]: the share of applicants hired, as seekers expected it
    applicants: np.ndarray  # float[place * cluster]: residents who applied
    hired: np.ndarray  # float[place * cluster]: residents hired
    commuter_applicants: np.ndarray  # float[place * cluster]: outside places' workers who applied (expected)
    commuters_hired: np.ndarray  # float[home place, place * cluster]: in-commuters hired, by where they live
    rounds: int  # rounds of the seekers' expectations before they settled (or the most allowed)
    settled: bool  # whether the expectations came to rest within the rounds allowed


def find_jobs(
    pop: Population,
    world: World,
    prospects: JobProspects,
    labour: np.ndarray,
    seed: int,
    year: int,
    *,
    limited: bool = True,
) -> Matching | None:
    """Every job seeker in the labour force applies for one job; the matching function decides who is hired.

    Seekers direct their applications (:func:`directed_search`): each weighs a job by its utility and by the
    chance of being hired there, the finding rate at which that search came to rest. The outside places' seekers
    (:func:`commuters`) search alongside; the expected number hired at each pool's rate commute in
    (``JobMarket.hire_commuters``). Each pool then hires as many residents as the matching function gives for
    the applications made (the residents' drawn, the commuters' expected), up to the vacancies the commuters
    left, in the order of a keyed lottery; the last one who fits only in part is hired with the chance of that
    part where the vacancies hold them whole (:func:`~agents.choice.fits_in_order`), so a pool hires what the
    matching function gives on average at any scale, and never more than its vacancies (hiring each
    applicant by an independent draw at the rate would leave vacancies unfilled wherever more were drawn than
    fit, the more so the coarser the run). Those not hired stay unemployed this year. Unless ``limited`` (the
    2020 start, whose job stock is taken from where residents choose to work), every seeker is hired where they
    applied. Hiring leaves the labour force ``labour`` as it was: a job's trade may change a worker's retirement
    age, but farmers retire last (``farmer_retirement_age`` ranges above the others) and one past the others' age
    takes only farm jobs. Returns the year's matching (None at the start or without seekers).
    """
    p, pl = pop.persons, places()
    n_clusters = clusters().n
    seekers = np.flatnonzero(labour & (p.job == NO_JOB))
    if len(seekers) == 0:
        return None
    home = p.household[seekers]
    alt = pl.alt(pop.households.place[home], pop.households.urban[home])
    weight = pop.households.weight[home]  # the seekers' person_weight()
    n_jobs = pl.n * n_clusters
    key = p.key[seekers]
    u = uniform(seed, Channel.JOB, year, key)
    priority = uniform(seed, Channel.JOB_LOTTERY, year, key)
    V, kind = _job_utilities(prospects, p, seekers, alt, world.settings)
    if not limited:
        _take_jobs(p, seekers, inverse_cdf_draw(u)(V, kind))
        return None
    employed = filled_jobs(pop, world, labour)
    outside = commuters(world, prospects, year)
    share = world.settings.job_switch_rate  # of the outside places' workers, seeking a job this year
    residents = np.bincount(kind, weights=weight, minlength=len(V))
    search = directed_search(
        np.concatenate([V, outside.utility]), np.append(residents, share * outside.workers), world.jobs, employed
    )
    commuter_applicants, commuters_hired = outside.taking(search.log_rate, share)
    world.jobs.hire_commuters(commuters_hired.reshape(world.jobs.in_commuters.shape))
    applied = inverse_cdf_draw(u)(V + search.log_rate, kind)
    applicants = np.bincount(applied, weights=weight, minlength=n_jobs + 1)[:n_jobs]
    # each pool hires what the matching function gives for the applications made, up to its vacancies left
    commuters_applied = commuter_applicants.sum(axis=0)
    vacancies = world.jobs.open_vacancies(employed)
    rate = world.jobs.finding_rates_at((applicants + commuters_applied).reshape(pl.n, n_clusters), vacancies).ravel()
    room = np.maximum(vacancies.ravel() - commuters_hired.sum(axis=0), 0.0)
    room = np.append(room, 0.0)  # and none for "no job"
    to_hire = np.minimum(np.append(rate * applicants, 0.0), room)
    partial = uniform_slots(seed, Channel.PART_ROW, year, key, (0,))[:, 0]
    # in lottery order; the pools as int16: the same order, sorted faster (a radix sort for 16-bit keys)
    hired = np.flatnonzero(fits_in_order(applied.astype(np.int16), weight, priority, to_hire, partial, most=room))
    _take_jobs(p, seekers[hired], applied[hired])
    return Matching(
        finding_rate=np.exp(search.log_rate[:n_jobs]),
        applicants=applicants,
        hired=np.bincount(applied[hired], weights=weight[hired], minlength=n_jobs),
        commuter_applicants=commuters_applied,
        commuters_hired=commuters_hired,
        rounds=search.rounds,
        settled=search.settled,
    )


@dataclass
class Commuters:
    """The outside places' workers weighing Haimen's jobs, as aggregates: one kind per home place and trade, home by
    home (kind ``i * n_clusters + trade`` lives in ``homes[i]``)."""

    homes: np.ndarray  # int[home]: the outside places they live in, in increasing order
    utility: np.ndarray  # float[kind, job + 1]: the job utility from home, Haimen's jobs with in_commuting_constant
    workers: np.ndarray  # float[kind]: people

    def taking(self, log_rate: np.ndarray, share: float) -> tuple[np.ndarray, np.ndarray]:
        """A ``share`` of the workers of each kind apply, each with the logit of utility plus ``log_rate`` (the log
        finding rates, float[job + 1]), and are hired at the rate: the expected applicants to and hires into each of
        Haimen's jobs by home place, float[place, job] each (people)."""
        pl, n_clusters = places(), clusters().n
        haimen_jobs = np.repeat(pl.in_haimen, n_clusters)
        applying = logit_probabilities(self.utility + log_rate, overwrite=True)[:, :-1] * haimen_jobs
        applying *= (share * self.workers)[:, None]
        applicants = np.zeros((pl.n, len(haimen_jobs)))
        # each home's kinds summed in order from 0: the same sums as adding them row by row
        applicants[self.homes] = applying.reshape(len(self.homes), n_clusters, -1).sum(axis=1, initial=0.0)
        return applicants, applicants * np.exp(log_rate[:-1])  # closed pools (log rate −inf): none hired


def commuters(world: World, prospects: JobProspects, year: int) -> Commuters:
    """The workers of the outside places that have a road or rail link to Haimen (:class:`Commuters`): their job
    utility from where they live (``prospects``), the same as a resident's there, with ``in_commuting_constant``
    on each of Haimen's jobs: the declared propensity of a neighbour's worker to look for work across the border."""
    s, pl, n_clusters = world.settings, places(), clusters().n
    homes = np.flatnonzero(np.isfinite(world.transport.place_minutes(year)[:, pl.haimen]).any(axis=1) & ~pl.in_haimen)
    home = np.repeat(homes, n_clusters)
    trade = np.tile(np.arange(n_clusters), len(homes))
    utility = prospects.utility[trade, pl.alt(home, True), :] + s.in_commuting_constant * np.repeat(
        pl.in_haimen, n_clusters
    )
    utility = np.append(utility, np.full((len(home), 1), -np.inf), axis=1)
    return Commuters(homes=homes, utility=utility, workers=outside_workers(s)[home] * cluster_mix()[home, trade])


def initial_in_commuters(world: World, prospects: JobProspects, year: int) -> np.ndarray:
    """The census year's in-commuters, float[home place, place, cluster] (people): the outside places' workers who
    would hold each of Haimen's jobs where every pool hires at the normal rate (``job_finding_rate``), the stock
    that the yearly seekers hired at that rate keep as those leaving at ``job_switch_rate`` are replaced."""
    s = world.settings
    outside = commuters(world, prospects, year)
    log_rate = np.full(outside.utility.shape[1], np.log(s.job_finding_rate))
    return outside.taking(log_rate, share=1.0)[1].reshape(world.jobs.in_commuters.shape)


def _take_jobs(p: Persons, seekers: np.ndarray, job: np.ndarray) -> None:
    """The seekers take the jobs ``job`` (``place * n_clusters + cluster``); a job's cluster becomes their trade."""
    n_clusters = clusters().n
    p.job[seekers] = job // n_clusters
    p.cluster[seekers] = job % n_clusters


def _job_utilities(
    prospects: JobProspects, p: Persons, seekers: np.ndarray, alt: np.ndarray, settings: Settings
) -> tuple[np.ndarray, np.ndarray]:
    """Utilities per kind of seeker present, float[kind, job + 1] (the last column, no job, never chosen), and each
    seeker's kind: the trade and home alternative, and whether past the retirement age of every other trade (kinds
    numbered in that order, only those of some seeker).

    Farmers work longer than others (``farmer_retirement_age``): one past the age at which the other trades
    retire may take only farm jobs (a job in another trade would end at once).
    """
    n_clusters, n_alt, farm = clusters().n, places().n_alt, clusters().agriculture
    n_jobs = prospects.utility.shape[2]
    other_trades_retire = np.take(retirement_ages(settings), p.female[seekers].view(np.uint8))
    past = p.age[seekers] >= other_trades_retire
    kind = np.where(past, n_clusters * n_alt, p.cluster[seekers].astype(np.intp) * n_alt)
    kind += alt
    # the kinds present, in order, and each seeker's among them (a counting pass: kinds are few)
    present = np.flatnonzero(np.bincount(kind, minlength=(n_clusters + 1) * n_alt))
    number = np.zeros((n_clusters + 1) * n_alt, dtype=np.intp)
    number[present] = np.arange(len(present))
    utility = prospects.utility.reshape(-1, n_jobs)
    V = np.full((len(present), n_jobs + 1), -np.inf)
    trade = present < n_clusters * n_alt
    V[trade, :n_jobs] = utility[present[trade]]
    farm_rows = utility[farm * n_alt + present[~trade] - n_clusters * n_alt]  # past the others' age: farm jobs only
    V[np.flatnonzero(~trade)[:, None], np.arange(farm, n_jobs, n_clusters)] = farm_rows[:, farm::n_clusters]
    return V, number[kind]


SEARCH_ROUNDS = 12  # most rounds of the seekers' expected finding rates
SEARCH_TOLERANCE = 0.01  # change of a log finding rate below which the expectations have settled
SEARCH_DAMPING = 0.5  # share of the change taken each round (½ makes the rounds a contraction, see directed_search)


@dataclass
class Search:
    """Seekers' expected finding rates at rest (:func:`directed_search`)."""

    log_rate: np.ndarray  # float[job + 1]: log of the expected finding rate (last: "no job", 0)
    rounds: int
    settled: bool


def directed_search(V: np.ndarray, seekers: np.ndarray, jobs: JobMarket, employed: np.ndarray) -> Search:
    """The finding rates at which seekers' applications and the matching function agree (directed search).

    A seeker of kind ``k`` applies to job ``j`` with the logit probability of ``V[k, j] + log f[j]``: a job
    counts as much as the chance of getting it (the log of an alternative's availability added to its utility,
    Cascetta and Papola 2001), and ``f`` is what the matching function gives for the expected applications
    (``seekers[k]`` people of each kind, float[kind]). Found by damped rounds on the expected applications
    (closed-form probabilities, no draws), which provably settle: a pool's log applicants rise with its own log
    rate by a share below 1 and fall with the others' by no more in all, and its rate falls with its log
    applicants by a share of at most 1 (1 − α, or 1 where it fills all its vacancies), so the half step has row
    sums of absolute derivatives at most ½ and each round at least halves the largest distance to the rest point
    (6–7 rounds a year at a tolerance of 0.01). Pools without vacancies are closed (rate 0) from the start.

    A round needs no softmax over kinds × jobs: the probabilities at rates ``f`` are those at the start (``P``,
    where the open pools' rates are 1) weighted by the rates, ``P[k, j]·f[j] / Σ_j' P[k, j']·f[j']``, so the
    expected applicants are ``((seekers / (P @ f)) @ P)·f``: two products with ``P`` (the same numbers but for
    rounding; a kind's best open job keeps ``P`` of at least 1/jobs, so no row's sum underflows).
    """
    n_jobs = V.shape[1] - 1
    pl, n_clusters = places(), clusters().n
    log_rate = np.zeros(n_jobs + 1)
    room = jobs.open_vacancies(employed)
    log_rate[:n_jobs][room.ravel() == 0] = -np.inf
    start = logit_probabilities(V + log_rate, overwrite=True)  # [kind, job]: closed pools (and no job) 0
    most = rounds_allowed(SEARCH_ROUNDS)
    with np.errstate(divide="ignore", invalid="ignore"):  # closed pools: log 0, and −inf less −inf (set to 0)
        for rounds in range(1, most + 1):
            rate = np.exp(log_rate)
            applicants = (seekers / (start @ rate)) @ start * rate
            target = np.log(jobs.finding_rates_at(applicants[:n_jobs].reshape(pl.n, n_clusters), room).ravel())
            change = np.where(np.isfinite(target), target - log_rate[:n_jobs], 0.0)
            log_rate[:n_jobs] += SEARCH_DAMPING * change
            if np.abs(change).max() < SEARCH_TOLERANCE:
                note_rounds(rounds, settled=True)
                return Search(log_rate=log_rate, rounds=rounds, settled=True)
    note_rounds(most, settled=False)
    return Search(log_rate=log_rate, rounds=most, settled=False)


def recruits_wanted(
    world: World, employed: np.ndarray, other_arrivals: float, free_dwellings: np.ndarray
) -> np.ndarray:
    """Workers Haimen's employers recruit from outside this year, float[place, cluster] (people).

    A share ``recruitment_rate`` of the jobs vacant beyond the normal rate after
    the residents' and in-commuters' hires (``employed``: the jobs filled), bounded
    twice: recruits are at most ``work_motive_share`` of the year's arrivals (so
    at most s/(1−s) times the other arrivals), and each place
    recruits no more than its free dwellings can house, whoever of them ends up
    in a dormitory (each recruit is counted as a whole dwelling, the most one
    can use, so the random dormitory draw never over-fills a place).
    ``free_dwellings`` is float[place].
    """
    s = world.settings
    haimen = places().in_haimen[:, None]
    wanted = s.recruitment_rate * world.jobs.excess(employed) * haimen
    bound = s.work_motive_share / (1.0 - s.work_motive_share) * max(other_arrivals, 0.0)
    total = wanted.sum()
    if total > bound:
        wanted *= bound / total
    room = np.maximum(free_dwellings, 0.0) / max(1.0, s.collective_space)
    by_place = wanted.sum(axis=1)
    factor = np.divide(room, by_place, out=np.ones_like(by_place), where=by_place > room)
    return wanted * np.minimum(factor, 1.0)[:, None]
