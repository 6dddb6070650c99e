"""Migrant ties between places: people who moved, by origin and destination.

Entry ``[o, p]`` holds the people living in ``p`` who came from ``o``. A
household weighing place ``p`` values ties between its origin and ``p`` in
either direction. Every year's moves add to the entries and old ties fade.
The state is a numpy matrix (read every year by the residence choice);
:meth:`Ties.graph` gives it as a networkx DiGraph for network analysis.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from environment.places import places


class Ties:
    """People linking each pair of places through past moves."""

    def __init__(self, initial: np.ndarray) -> None:
        """``initial[o, p]``: people living in ``p`` who came from ``o``."""
        n = places().n
        self.directed = np.zeros((n, n))  # [o, p]: people in p who came from o (diagonal unused: 0)
        self.add(initial)

    def add(self, people: np.ndarray) -> None:
        """Add people moved from ``o`` to ``p`` (float[place, place]); moves within a place are not ties."""
        off_diagonal = ~np.eye(len(people), dtype=bool)
        self.directed[off_diagonal] += people[off_diagonal]

    def fade(self, rate: float) -> None:
        self.directed *= 1.0 - rate

    def matrix(self) -> np.ndarray:
        """Ties in either direction, float[place, place] (symmetric)."""
        return self.directed + self.directed.T

    def graph(self) -> nx.DiGraph:
        """The ties as a DiGraph over the place keys, edge attribute ``people`` (pairs never linked: no edge)."""
        keys = places().keys
        graph = nx.DiGraph()
        graph.add_nodes_from(keys)
        for o, p in zip(*np.nonzero(self.directed), strict=True):
            graph.add_edge(keys[o], keys[p], people=float(self.directed[o, p]))
        return graph
