"""Places and the residence alternatives built on them.

Places are Shanghai, Suzhou, Wuxi, Changzhou, Nantong main city, the
neighbours Qidong, Tongzhou and Chongming (Shanghai's district), elsewhere in
China, and Haimen's twelve units. A residence *alternative* is a place, and for
Haimen units also its urban or rural part: alternative ``a`` has
``alt_place[a]`` and ``alt_urban[a]``. Zones (开发区, 港新区, 三星镇) group units.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from environment.inputs import place_value, read_csv


@dataclass(frozen=True)
class Places:
    """Place and alternative tables (arrays indexed by place or alternative)."""

    keys: tuple[str, ...]
    name_zh: tuple[str, ...]
    name_en: tuple[str, ...]
    in_haimen: np.ndarray  # bool[place]
    city: np.ndarray  # int[place]: places in one city share a code (Haimen units: one city)
    lon: np.ndarray
    lat: np.ndarray
    zones: dict[str, tuple[int, ...]]  # zone key -> place indices
    zone_names: dict[str, tuple[str, str]]  # zone key -> (zh, en)
    alt_place: np.ndarray  # int[alt]
    alt_urban: np.ndarray  # bool[alt]
    alt_of: np.ndarray  # int[place, part]: alternative of (place, urban=0 / rural=1)

    @property
    def n(self) -> int:
        return len(self.keys)

    @property
    def n_alt(self) -> int:
        return len(self.alt_place)

    @property
    def haimen(self) -> np.ndarray:
        """Indices of Haimen's units."""
        return np.flatnonzero(self.in_haimen)

    @property
    def external(self) -> np.ndarray:
        """Indices of the places outside Haimen."""
        return np.flatnonzero(~self.in_haimen)

    @property
    def alt_in_haimen(self) -> np.ndarray:
        return self.in_haimen[self.alt_place]

    def index(self, key: str) -> int:
        return self.keys.index(key)

    def alt(self, place: int | np.ndarray, urban: bool | np.ndarray) -> np.ndarray:
        """Alternative index of (place, urban part); external places have one alternative."""
        code = np.array(place, dtype=np.intp)  # (a copy: 2·place + rural, computed in place)
        code <<= 1
        code += ~np.asarray(urban, dtype=bool)
        return np.take(self.alt_of.ravel(), code)  # one flat lookup

    def alt_label(self, a: int) -> str:
        part = "" if not self.in_haimen[self.alt_place[a]] else (":urban" if self.alt_urban[a] else ":rural")
        return self.keys[self.alt_place[a]] + part


@cache
def places() -> Places:
    """The places of ``data/places.csv`` and zones of ``data/zones.csv``."""
    rows = read_csv("places.csv")
    keys = tuple(r["key"] for r in rows)
    in_haimen = np.array([r["in_haimen"] == "true" for r in rows])
    city_names = [r["city"] for r in rows]
    city = np.array([sorted(set(city_names)).index(c) for c in city_names])
    lon = np.array([float(r["lon"]) if r["lon"] else np.nan for r in rows])
    lat = np.array([float(r["lat"]) if r["lat"] else np.nan for r in rows])
    zones, zone_names = {}, {}
    for z in read_csv("zones.csv"):
        zones[z["key"]] = tuple(keys.index(p) for p in z["places"].split(";"))
        zone_names[z["key"]] = (z["name_zh"], z["name_en"])
    alt_place, alt_urban = [], []
    for p in range(len(keys)):
        alt_place.append(p)
        alt_urban.append(True)
        if in_haimen[p]:
            alt_place.append(p)
            alt_urban.append(False)
    alt_of = np.zeros((len(keys), 2), dtype=np.int64)
    for a, (p, u) in enumerate(zip(alt_place, alt_urban, strict=True)):
        alt_of[p, 0 if u else 1] = a
    alt_of[~in_haimen, 1] = alt_of[~in_haimen, 0]
    return Places(
        keys=keys,
        name_zh=tuple(r["name_zh"] for r in rows),
        name_en=tuple(r["name_en"] for r in rows),
        in_haimen=in_haimen,
        city=city,
        lon=lon,
        lat=lat,
        zones=zones,
        zone_names=zone_names,
        alt_place=np.array(alt_place),
        alt_urban=np.array(alt_urban),
        alt_of=alt_of,
    )


def area_places(area: str) -> list[str]:
    """Place keys of an area: ``"haimen"`` (all its units) or a zone key of ``data/zones.csv``."""
    pl = places()
    return [pl.keys[i] for i in (pl.haimen if area == "haimen" else pl.zones[area])]


@dataclass(frozen=True)
class Clusters:
    """Industrial clusters (workers' trades): keys and wage multipliers."""

    keys: tuple[str, ...]
    wage_multiplier: np.ndarray

    @property
    def n(self) -> int:
        return len(self.keys)

    @property
    def agriculture(self) -> int:
        return self.keys.index("agriculture")


@cache
def clusters() -> Clusters:
    """The clusters of ``data/clusters.csv``."""
    rows = read_csv("clusters.csv")
    return Clusters(tuple(r["key"] for r in rows), np.array([float(r["wage_multiplier"]) for r in rows]))


@cache
def place_values(variable: str, outside_only: bool = False) -> np.ndarray:
    """``variable`` of ``data/place_inputs.csv`` for every place, float[place] (read-only).

    Haimen's units fall back to the Haimen-wide row; with ``outside_only`` they get 0.
    """
    pl = places()
    values = np.array(
        [
            0.0 if outside_only and haimen else place_value(variable, key, haimen)
            for key, haimen in zip(pl.keys, pl.in_haimen, strict=True)
        ]
    )
    values.flags.writeable = False
    return values


@cache
def cluster_mix() -> np.ndarray:
    """Share of each cluster in each place's jobs (and its movers' skills): float[place, cluster]."""
    pl = places()
    keys = clusters().keys
    rows = {r["place"]: r for r in read_csv("cluster_mix.csv")}
    mix = np.zeros((pl.n, len(keys)))
    for p, key in enumerate(pl.keys):
        row = rows.get(key) or rows["haimen"]
        mix[p] = [float(row[c]) for c in keys]
    return mix / mix.sum(axis=1, keepdims=True)
