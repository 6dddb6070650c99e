"""Household and Worker: Mesa agents as thin handles over the population's rows.

The simulation decides for all households at once on numpy arrays; these
handles give the Mesa view of one household or worker — its place, members,
children by school stage, jobs and income — read live from those arrays. Ask
the model for them (``model.household(key)``, ``model.sample_households(n)``);
a handle is removed from the model when its household dies out or leaves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from agents.constants import ELDERLY_AGES
from agents.population import COLLECTIVE, OWNER
from environment.places import clusters, places

if TYPE_CHECKING:
    from abm.model import MigrationModel

TENURE = {0: "renter", OWNER: "owner", COLLECTIVE: "collective"}
SCHOOL_STAGES = {"infant": (0, 2), "kindergarten": (3, 5), "primary": (6, 11), "junior": (12, 14), "senior": (15, 17)}


class RowHandle(mesa.Agent):
    """A Mesa agent standing for one row of the population's arrays, found by its key."""

    model: MigrationModel
    table = ""  # "households" or "persons"
    noun = ""

    def __init__(self, model: MigrationModel, key: int) -> None:
        super().__init__(model)
        self.key = int(key)

    @property
    def _rows(self):
        return getattr(self.model.population, self.table)

    @property
    def _row(self) -> int:
        rows = np.flatnonzero(self._rows.key == np.uint64(self.key))
        if len(rows) == 0:
            raise LookupError(f"{self.noun} {self.key} is no longer in Haimen")
        return int(rows[0])

    @property
    def alive(self) -> bool:
        return bool((self._rows.key == np.uint64(self.key)).any())


class Household(RowHandle):
    """A household (standing for ``weight`` real ones) and its members."""

    table, noun = "households", "household"

    def _get(self, column: str):
        return getattr(self.model.population.households, column)[self._row]

    @property
    def place(self) -> str:
        return places().keys[self._get("place")]

    @property
    def urban(self) -> bool:
        return bool(self._get("urban"))

    @property
    def tenure(self) -> str:
        return TENURE[int(self._get("tenure"))]

    @property
    def hukou(self) -> str:
        """'haimen' or the city of another place whose hukou the household holds."""
        pl = places()
        city = int(self._get("hukou_city"))
        return next(pl.keys[i] if not pl.in_haimen[i] else "haimen" for i in range(pl.n) if pl.city[i] == city)

    @property
    def weight(self) -> float:
        return float(self._get("weight"))

    @property
    def _members(self) -> np.ndarray:
        return np.flatnonzero(self.model.population.persons.household == self._row)

    @property
    def members(self) -> int:
        return len(self._members)

    @property
    def ages(self) -> list[int]:
        return self.model.population.persons.age[self._members].tolist()

    @property
    def children_by_stage(self) -> dict[str, int]:
        ages = np.array(self.ages)
        return {stage: int(((ages >= lo) & (ages <= hi)).sum()) for stage, (lo, hi) in SCHOOL_STAGES.items()}

    @property
    def elderly(self) -> int:
        return int((np.array(self.ages) >= ELDERLY_AGES[0]).sum())

    @property
    def workers(self) -> list[Worker]:
        p = self.model.population.persons
        members = self._members
        return [self.model.worker(int(k)) for k in p.key[members[p.job[members] >= 0]]]

    def __repr__(self) -> str:
        return f"Household({self.key}: {self.members} people in {self.place} ({'urban' if self.urban else 'rural'}))"


class Worker(RowHandle):
    """A member of the labour force: the cluster of their trade, education, job place and income."""

    table, noun = "persons", "person"

    @property
    def age(self) -> int:
        return int(self.model.population.persons.age[self._row])

    @property
    def college(self) -> bool:
        return bool(self.model.population.persons.college[self._row])

    @property
    def skill(self) -> str:
        return clusters().keys[self.model.population.persons.cluster[self._row]]

    @property
    def job_place(self) -> str | None:
        job = int(self.model.population.persons.job[self._row])
        return places().keys[job] if job >= 0 else None

    @property
    def income(self) -> float:
        """Yearly wage in yuan (0 without a job)."""
        p = self.model.population.persons
        row, job = self._row, int(self.model.population.persons.job[self._row])
        if job < 0:
            return 0.0
        factor = 1.0 + self.model.settings.college_wage_premium * p.college[row]
        return float(self.model.world.jobs.wage[job, p.cluster[row]] * factor)

    @property
    def household(self) -> Household:
        row = self.model.population.persons.household[self._row]
        return self.model.household(int(self.model.population.households.key[row]))
