"""What the commands print is readable: numbers without scientific notation, sensitivity by importance, full units,
a summary from `abm compare`, and `abm sweep --dry-run` sizing a sweep without running it."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from environment import scenario as sc
from environment.settings import levers
from experiments.cli import main
from experiments.compare import compare, summary
from experiments.query import readable
from experiments.sensitivity import NO_EFFECT, analyse, format_table, plot
from experiments.sweep import estimate, load, parse
from experiments.sweep_runner import run_sweep

SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
MORRIS = {
    "base": "plan",
    "seed": 5,
    "run": {"scale": 1000, "years": "2020:2022"},
    "design": {"kind": "morris", "samples": 2, "levels": 4},
    "vary": {"rent_subsidy": {}, "hukou_on_arrival": {}, "industrial_jobs_kaifaqu": {}},
}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("readable") / "morris"
    run_sweep(parse(MORRIS, "readable.toml"), out, backend="serial", progress=False)
    return out


def test_readable_numbers():
    table = pd.DataFrame(
        {
            "hsr_year": [2027.0, np.nan, 2030.0],  # an opening year, "never" as NaN
            "value": [1_002_628.37, 0.735_34, -1_234.5],
            "n": [1, 2, 3],
        }
    )
    text = readable(table).to_string(index=False)
    assert not SCIENTIFIC.search(text)
    assert "1,002,628" in text and "0.7353" in text and "-1,234" in text
    assert "2027" in text and "2,027" not in text and "NA" in text


def test_abm_query_prints_populations_with_separators(folder, capsys):
    sql = "SELECT year, avg(value) AS people FROM outcomes WHERE outcome = 'haimen_population' GROUP BY 1 ORDER BY 1"
    assert main(["query", str(folder), sql]) == 0
    out = capsys.readouterr().out
    assert not SCIENTIFIC.search(out)
    assert re.search(r"2022\s+\d{3},\d{3}", out) or re.search(r"2022\s+\d,\d{3},\d{3}", out)
    assert main(["query", str(folder), sql, "--csv"]) == 0  # every digit
    assert re.search(r"2022,\d{6,7}\.\d+", capsys.readouterr().out)


def test_sensitivity_text_is_sorted_by_importance_in_one_notation(folder, tmp_path):
    table = analyse(folder)
    text = format_table(table)
    assert not SCIENTIFIC.search(text)
    blocks = text.strip().split("\n\n")
    if NO_EFFECT in blocks[-1] and len(blocks[-1].splitlines()) == 1:  # the closing note naming factors without effect
        blocks.pop()
    for block in blocks:
        lines = block.splitlines()
        header, rows = lines[1].split(), [line.split() for line in lines[2:]]
        mu_star = [float(r[header.index("mu_star")].replace(",", "")) for r in rows]
        assert mu_star == sorted(mu_star, reverse=True)
        decimals = {
            len(v.partition(".")[2]) for r in rows for v in r[1 : len(header)]
        }  # the figures, not a note after them
        assert len(decimals) == 1, block  # every figure of a block with the same number of decimals
    png = plot(table, tmp_path / "s.png")
    assert png.stat().st_size > 1000


def test_levers_listing_shows_every_unit_whole(capsys):
    assert main(["levers"]) == 0
    listing = capsys.readouterr().out.split("\n\n")[0]  # the levers, before the legend of what they act on
    lines = {line.split()[0]: line for line in listing.splitlines()[1:]}
    for key, lever in levers().items():
        assert f" {lever.unit} " in lines[key] or not lever.unit, key


def test_compare_summary_names_every_scenario_and_the_target():
    scenarios = [sc.load(n).with_run(scale=1000, years="2020:2022") for n in ("baseline", "plan")]
    text = summary(compare(scenarios, replicates=2, n_jobs=1))
    assert "\n" not in text and not SCIENTIFIC.search(text)
    assert "2 paired replicates" in text and "1:1000" in text and "900,000" in text  # the target within the years
    assert re.search(r"baseline [\d,]+ \(", text) and re.search(r"plan [\d,]+ \(", text)
    assert re.search(r"plan [+-][\d,]+ \([+-]", text)  # the paired difference
    assert "Targets met in every run (of the 1 of 6 within the runs' years): baseline 0, plan 0." in text


def test_sweep_dry_run_sizes_the_sweep_and_writes_nothing(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", "levers_morris", "--dry-run", "--scale", "1000", "--end", "2022", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    runs = len(load("levers_morris").runs())
    assert f"runs: {runs:,} (0 already finished" in text
    assert "design: morris (10 trajectories, 4 levels)" in text and "rent_subsidy" in text
    assert re.search(r"estimate: about \d+ s for 100 runs on \d+ worker", text)
    assert not out.exists()


def test_estimate_adds_up():
    e = estimate(load("levers_morris", run={"scale": 1000, "years": "2020:2023"}), timed_years=2)
    assert e.years == 3 and e.timed_years == 2 and e.setup > 0 and e.year > 0
    assert e.run == pytest.approx(e.setup + 3 * e.year)
    assert e.total(10, 2) == pytest.approx(5 * e.run) and e.total(3, 1) == pytest.approx(3 * e.run)
