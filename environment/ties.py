"""Migrant ties between places: a networkx DiGraph of people who moved.

Edge ``o -> p`` carries the people living in ``p`` who came from ``o``. A
household weighing place ``p`` values ties between its origin and ``p`` in
either direction. Every year's moves add to the edges and old ties fade.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from environment.places import places


class Ties:
    """People linking each pair of places through past moves."""

    def __init__(self, initial: np.ndarray) -> None:
        """``initial[o, p]``: people living in ``p`` who came from ``o``."""
        keys = places().keys
        self.graph = nx.DiGraph()
        self.graph.add_nodes_from(keys)
        self.add(initial)

    def add(self, people: np.ndarray) -> None:
        """Add people moved from ``o`` to ``p`` (float[place, place])."""
        keys = places().keys
        for o, p in zip(*np.nonzero(people), strict=True):
            if o != p:
                edge = self.graph.get_edge_data(keys[o], keys[p], {"people": 0.0})
                self.graph.add_edge(keys[o], keys[p], people=edge["people"] + float(people[o, p]))

    def fade(self, rate: float) -> None:
        for _, _, d in self.graph.edges(data=True):
            d["people"] *= 1.0 - rate

    def matrix(self) -> np.ndarray:
        """Ties in either direction, float[place, place] (symmetric)."""
        directed = nx.to_numpy_array(self.graph, nodelist=list(places().keys), weight="people")
        return directed + directed.T
