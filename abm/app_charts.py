"""The web page's charts: the plan's targets, where newcomers come from, and what the measures pay.

The current setting is a solid line, the scenario compared with is dashed;
targets are read from ``targets.toml``, names from the outcome and target
registries, and every figure from the run's declared outcomes.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from abm.app_runs import DemoRun
from abm.app_text import lang, name, people_scale, t
from abm.outcomes import OUTCOMES
from environment.inputs import CENSUS_YEAR
from environment.settings import run_default
from environment.targets import measure_targets, targets

CURRENT, REFERENCE, TARGET = "#1565c0", "#757575", "#d32f2f"
ZONE_COLOURS = {"added_kaifaqu": "#6a1b9a", "added_gangxinqu": "#00838f", "added_sanxing": "#ef6c00"}


def _axes_years(ax) -> None:
    ax.set_xlim(CENSUS_YEAR - 0.3, run_default("end") + 0.3)
    ax.set_xticks(range(CENSUS_YEAR, run_default("end") + 1, 5))
    ax.grid(alpha=0.3)


def _pair(ax, run: DemoRun, key: str, colour: str, divide: float, label: str = "") -> None:
    """The outcome under the current setting (solid) and the scenario compared with (dashed)."""
    now = run.series(key)
    ref = run.series(key, "reference")
    ax.plot(ref.index, ref.to_numpy() / divide, ls="--", color=REFERENCE if not label else colour, lw=2, alpha=0.8)
    ax.plot(now.index, now.to_numpy() / divide, color=colour, lw=3, marker="o", ms=4, label=label or None)


def _target(ax, key: str, divide: float) -> None:
    target = targets()[OUTCOMES[key].target]
    value = target.value / divide
    ax.axhline(value, color=TARGET, lw=1.5, ls=":")
    ax.plot([target.year], [value], marker="*", ms=16, color=TARGET, zorder=5)


def targets_figure(run: DemoRun) -> Figure:
    """Population against 110万, the three zones against their targets, urbanization against 75%."""
    fig = Figure(figsize=(8.0, 4.0), dpi=100)
    pop, zones, urban = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.3, 1.2, 1]})
    fig.subplots_adjust(left=0.09, right=0.99, top=0.86, bottom=0.08, wspace=0.34)
    k = people_scale()

    _pair(pop, run, "haimen_population", CURRENT, k)
    _target(pop, "haimen_population", k)
    pop.set_title(name(OUTCOMES["haimen_population"]), fontsize=13)
    pop.set_ylabel(t("people_axis"))

    for key, colour in ZONE_COLOURS.items():
        o = OUTCOMES[key]
        _pair(zones, run, key, colour, k, label=name(targets()[o.target]))
        _target(zones, key, k)
    zones.axhline(0, color="#424242", lw=0.8)
    zones.set_title(t("zones_title"), fontsize=13)
    zones.legend(fontsize=9, loc="upper left", framealpha=0.8)

    _pair(urban, run, "urbanization", CURRENT, 0.01)
    _target(urban, "urbanization", 0.01)
    urban.set_title(name(OUTCOMES["urbanization"]), fontsize=13)
    urban.set_ylabel(t("share_axis"))

    for ax in (pop, zones, urban):
        _axes_years(ax)
    fig.suptitle(t("targets_title"), fontsize=14, x=0.01, ha="left", weight="bold")
    return fig


def origins_figure(run: DemoRun) -> Figure:
    """This year's moves into Haimen by origin, and Haimen residents working in Shanghai."""
    from abm.app_map import place_name

    fig = Figure(figsize=(8.0, 4.0), dpi=100)
    bars, shanghai = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.2, 1]})
    fig.subplots_adjust(left=0.19, right=0.99, top=0.88, bottom=0.12, wspace=0.3)
    k = people_scale()
    moves = run.breakdown("moves_into_haimen")
    ref = run.breakdown("moves_into_haimen", "reference")
    from environment.places import places

    pl = places()
    outside = [key for key in pl.keys if not pl.in_haimen[pl.index(key)]]
    inside = [key for key in pl.keys if pl.in_haimen[pl.index(key)]]
    labels = [place_name(key) for key in outside] + [t("within_haimen")]
    now = [moves.get(key, 0.0) / k for key in outside] + [sum(moves.get(key, 0.0) for key in inside) / k]
    then = [ref.get(key, 0.0) / k for key in outside] + [sum(ref.get(key, 0.0) for key in inside) / k]
    y = range(len(labels))
    bars.barh([i + 0.2 for i in y], now, height=0.4, color=CURRENT, label=t("current"))
    bars.barh([i - 0.2 for i in y], then, height=0.4, color=REFERENCE, label=f"{t('reference')}: {run.reference_name}")
    bars.set_yticks(list(y), labels, fontsize=12)
    bars.invert_yaxis()
    bars.set_xlabel(t("people_year_axis"))
    bars.set_title(f"{t('origins_title')} · {run.year}", fontsize=13)
    bars.legend(fontsize=9, loc="lower right")
    bars.grid(axis="x", alpha=0.3)

    _pair(shanghai, run, "working_in_shanghai", CURRENT, k)
    shanghai.set_title(name(OUTCOMES["working_in_shanghai"]), fontsize=11)
    shanghai.set_ylabel(t("people_axis"))
    _axes_years(shanghai)
    return fig


def spending_figure(run: DemoRun) -> Figure:
    """This year's subsidies by measure group (the ``spending`` outcome), with each group's yearly target."""
    fig = Figure(figsize=(7.4, 2.3), dpi=100)
    ax = fig.subplots()
    fig.subplots_adjust(left=0.33 if lang.value == "zh" else 0.42, right=0.98, top=0.87, bottom=0.12)
    paid = run.breakdown("spending")
    groups = measure_targets()
    labels, values = [], []
    for m, target in groups.items():
        labels.append(f"{m} {name(target)} · {t('per_year_target', people=f'{target.people_per_year:,}')}")
        values.append(paid.get(f"{m:02d}", 0.0) / 1e6 if lang.value == "en" else paid.get(f"{m:02d}", 0.0) / 1e4)
    ax.barh(range(len(labels)), values, color=CURRENT)
    for i, v in enumerate(values):
        if v == 0:
            ax.text(0, i, " " + t("no_money"), va="center", fontsize=8, color="#616161")
    ax.set_xlim(0, max([*values, 1.0]) * 1.05)
    ax.set_yticks(range(len(labels)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.set_title(t("spending_title"), fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    return fig
