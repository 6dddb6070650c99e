"""Write ``environment/data/age_structure_2020.csv``, ``vital_rates.csv`` and ``total_fertility.csv`` from the
sourced facts.

Run after changing a fact they derive from: ``.venv/bin/python scripts/derive_demography_targets.py``.
The derivations are in ``environment/demography_inputs.py``; tests check the files agree with them.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from environment.demography_inputs import (
    BAND_STARTS,
    PROFILE_PLACE,
    band_label,
    derive_age_structure,
    derive_total_fertility,
    derive_vital_rates,
)
from environment.inputs import DATA_DIR


def main() -> None:
    s = derive_age_structure()
    basis = (
        f"derived (target, not data): Haimen's 2020 census broad group (0–14, 15–59, 60–64, 65+; 海门区七普公报第一号) "
        f"split over its five-year bands in proportion to {PROFILE_PLACE}'s 2020 census persons (中国人口普查年鉴-2020 "
        f"表1-5, facts pop_male_age_*/pop_female_age_*); men: {PROFILE_PLACE}'s male fraction of the band scaled so "
        "that all bands sum to Haimen's census men (pop_male). Haimen's and Nantong's own five-year tables NOT FOUND"
    )
    with open(DATA_DIR / "age_structure_2020.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["band", "age_min", "age_max", "persons", "men", "share_percent", "basis"])
        for i, lo in enumerate(BAND_STARTS):
            hi = 110 if lo == BAND_STARTS[-1] else lo + 4
            row_basis = basis if i == 0 else "derived: as the first row"
            w.writerow(
                [
                    band_label(lo),
                    lo,
                    hi,
                    f"{s.persons[i]:.3f}",
                    f"{s.men[i]:.3f}",
                    f"{100 * s.shares[i]:.3f}",
                    row_basis,
                ]
            )
    with open(DATA_DIR / "vital_rates.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["year", "birth_rate", "death_rate", "unit", "basis"])
        for r in derive_vital_rates():
            w.writerow([r.year, f"{r.birth_rate:.4f}", f"{r.death_rate:.4f}", "per mille", r.basis])
    with open(DATA_DIR / "total_fertility.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["year", "tfr", "unit", "basis"])
        for r in derive_total_fertility():
            w.writerow([r.year, f"{r.tfr:.4f}", "children per woman", r.basis])


if __name__ == "__main__":
    main()
