"""The transport network: a networkx graph of places and hubs, with projects by year.

Edges carry door-to-door minutes by mode (road, rail, hsr, bus) and the project
that builds them (none for links that existed in 2010). Two kinds of project:
the plan's, whose opening year is a lever (``environment/policy.py``), and the
historical ones of ``data/projects.csv`` with an ``opened`` date (the 崇启大桥,
Haimen's station, the 沪苏通铁路), data: open from the model year whose census
day (1 November) follows that date. The commute time between two places in a
year is the shortest path over the links open that year.
"""

from __future__ import annotations

from datetime import date
from functools import cache, cached_property, lru_cache

import networkx as nx
import numpy as np

from environment.inputs import constant, read_csv
from environment.places import place_values, places
from environment.policy import Policy
from environment.settings import Settings


def model_year(opened: date) -> int:
    """The first model year a project opened on ``opened`` serves: a model year ends on its census day."""
    month, day = map(int, constant("census_day").split("-"))
    return opened.year if (opened.month, opened.day) < (month, day) else opened.year + 1


@cache
def historical_openings() -> dict[str, int]:
    """The historical projects (``projects.csv`` rows with an ``opened`` date) and their first model year."""
    return {r["key"]: model_year(date.fromisoformat(r["opened"])) for r in read_csv("projects.csv") if r["opened"]}


@lru_cache(maxsize=8)
def network(travel_time_factor: float) -> nx.MultiGraph:
    """The links of ``transport.csv`` (every project's), their minutes times ``travel_time_factor`` (frozen: runs with
    the same factor share it)."""
    graph = nx.MultiGraph()
    graph.add_nodes_from(places().keys)
    for row in read_csv("transport.csv"):
        graph.add_edge(
            row["a"],
            row["b"],
            mode=row["mode"],
            project=row["project"] or None,
            minutes=float(row["minutes"]) * travel_time_factor,
        )
    return nx.freeze(graph)


@lru_cache(maxsize=256)
def shortest_minutes(travel_time_factor: float, projects: frozenset[str]) -> np.ndarray:
    """Shortest door-to-door minutes between places over the links open with ``projects``, float[place, place]
    (inf if no link): computed once per factor and set of open projects, the values a run's levers give (read-only,
    shared by runs)."""
    graph = network(travel_time_factor)
    open_graph = nx.Graph()
    open_graph.add_nodes_from(graph.nodes)
    for a, b, d in graph.edges(data=True):
        if d["project"] is None or d["project"] in projects:
            old = open_graph.get_edge_data(a, b, {"minutes": np.inf})["minutes"]
            open_graph.add_edge(a, b, minutes=min(old, d["minutes"]))
    keys = places().keys
    minutes = np.full((len(keys), len(keys)), np.inf)
    for i, source in enumerate(keys):
        lengths = nx.single_source_dijkstra_path_length(open_graph, source, weight="minutes")
        for j, target in enumerate(keys):
            minutes[i, j] = lengths.get(target, np.inf)
    minutes.flags.writeable = False
    return minutes


class Transport:
    """Travel and commute times for any year under a run's settings (projects open as the policy's year says)."""

    def __init__(self, settings: Settings, policy: Policy) -> None:
        self.settings = settings
        self.policy = policy
        self.graph = network(settings.travel_time_factor)  # shared by runs with the same factor: read-only
        self._commutes: dict[frozenset[str], np.ndarray] = {}  # commute_minutes by the projects open (read-only)

    @property
    def opening_year(self) -> dict[str, int | None]:
        """Year each project opens: the plan's under the run's levers (None: never), then the historical ones."""
        return self.policy.opening_year | historical_openings()

    def is_open(self, project: str, year: int) -> bool:
        return project in self.open_projects(year)

    def open_projects(self, year: int) -> frozenset[str]:
        """The projects open in ``year``: the policy's (``PolicyYear.open_projects``) and the historical ones."""
        historical = frozenset(key for key, opens in historical_openings().items() if opens <= year)
        return self.policy.year(year).open_projects | historical

    def place_minutes(self, year: int) -> np.ndarray:
        """Shortest door-to-door minutes between places, float[place, place] (inf if no link; read-only)."""
        return shortest_minutes(self.settings.travel_time_factor, self.open_projects(year))

    @cached_property
    def local_minutes(self) -> np.ndarray:
        """Typical commute inside each place, float[place]."""
        return place_values("commute_local")

    def commute_minutes(self, year: int) -> np.ndarray:
        """One-way commute from each residence alternative to each work place, float[alt, place] (read-only: computed
        once per set of projects open, the run's settings being fixed).

        Inside a place it is the local commute; between places, the network path
        plus half of each end's local commute. Rural parts add an access time.
        """
        projects = self.open_projects(year)
        if projects not in self._commutes:
            minutes = self._commute_minutes(year)
            minutes.flags.writeable = False
            self._commutes[projects] = minutes
        return self._commutes[projects]

    def _commute_minutes(self, year: int) -> np.ndarray:
        """:meth:`commute_minutes` computed anew."""
        pl = places()
        local = self.local_minutes
        between = self.place_minutes(year) + 0.5 * (local[:, None] + local[None, :])
        np.fill_diagonal(between, local)
        rural_extra = np.where(pl.alt_urban, 0.0, self.settings.rural_access_minutes)
        return between[pl.alt_place] + rural_extra[:, None]
