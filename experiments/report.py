"""The comparison report: one self-contained HTML file (plots embedded as PNG) and the same tables as xlsx.

Headings and labels are in Chinese and English; the HTML opens offline.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import pandas as pd

from abm.outcomes import describe
from environment.scenario import Scenario
from environment.settings import NEVER, default_value, lookup
from environment.targets import targets
from experiments.compare import Comparison, settings_table
from experiments.sweep_store import write_atomic
from experiments.workbook import write_workbook

CSS = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2em auto; max-width: 1100px; color: #222; }
h1 { font-size: 1.6em; } h2 { margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top;
         word-break: keep-all; overflow-wrap: break-word; }
th { background: #f4f4f4; font-weight: 600; } th span, td span { color: #555; }
td.num { text-align: right; white-space: nowrap; } img { max-width: 100%; } .note { color: #a33; }
@page { size: A4; margin: 12mm; }
@media print {
  body { margin: 0; max-width: none; font-size: 9pt; }
  h1 { font-size: 14pt; } h2 { font-size: 11pt; margin-top: 1.2em; break-after: avoid; }
  table { width: 100%; font-size: 7.5pt; } th, td { padding: 2px 3px; }
  thead { display: table-header-group; } tr, img { break-inside: avoid; }
}
"""
# Chinese is never broken between characters (keep-all): a narrow column wraps at spaces, never one character a line.
YI = 1e8  # yuan in one 亿元, the unit spending is plotted in


def _figure_png(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _axes(n: int = 1, width: float = 9, height: float = 3.6):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from abm.fonts import register_cjk_font

    register_cjk_font()
    from matplotlib.ticker import MaxNLocator

    fig, axes = plt.subplots(1, n, figsize=(width, height), squeeze=False)
    for ax in axes[0]:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # years, not 2020.25
    return fig, list(axes[0])


def legend_name(s: Scenario) -> str:
    """How a scenario is named in legends: its ``title_zh`` and ``title_en`` (one line each), else its name."""
    return "\n".join(t for t in (s.title_zh, s.title_en) if t) or s.name


def _band_plot(c: Comparison, key: str, ax, target: float | None = None, target_label: str = "") -> None:
    bands = c.bands()
    for s in c.scenarios:
        b = bands[(bands.scenario == s.name) & (bands.outcome == key)].sort_values("year")
        line = ax.plot(b.year, b["mean"], label=legend_name(s))[0]
        ax.fill_between(b.year, b["min"], b["max"], color=line.get_color(), alpha=0.25)
    if target is not None:
        ax.axhline(target, color="k", ls="--", lw=1, label=target_label)
    zh, en, unit = describe(key)
    if unit.startswith("persons"):
        from matplotlib.ticker import StrMethodFormatter

        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
    elif unit == "share":
        from matplotlib.ticker import PercentFormatter

        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_title(f"{zh}\n{en}", fontsize=10)
    ax.set_ylabel(unit)
    ax.legend(fontsize=8)


def plots(c: Comparison) -> dict[str, str]:
    """Figure name → base64 PNG."""
    t = targets()
    out = {}
    fig, (ax,) = _axes()
    _band_plot(c, "haimen_population", ax, t["population"].value, "目标 110万 target (2025)")
    out["population"] = _figure_png(fig)
    fig, axes = _axes(3, width=12)
    for ax, (key, target) in zip(
        axes,
        [
            ("added_kaifaqu", "kaifaqu_growth"),
            ("added_gangxinqu", "gangxinqu_growth"),
            ("added_sanxing", "sanxing_growth"),
        ],
        strict=True,
    ):
        _band_plot(c, key, ax, t[target].value, f"目标 target {t[target].value:,.0f} ({t[target].year})")
    out["zones"] = _figure_png(fig)
    fig, (ax,) = _axes()
    _band_plot(c, "urbanization", ax, t["urbanization"].value, "目标 75% target")
    out["urbanization"] = _figure_png(fig)
    fig, (ax,) = _axes()
    _band_plot(c, "working_in_shanghai", ax)
    out["shanghai"] = _figure_png(fig)
    fig, (ax,) = _axes(height=4)
    wide = c.arrivals.pivot_table(index="name_zh", columns="scenario", values="people", sort=False)
    wide = wide[[s.name for s in c.scenarios if s.name in wide.columns]]
    wide.columns = [legend_name(s) for s in c.scenarios if s.name in wide.columns]
    names = dict(zip(c.arrivals.name_zh, c.arrivals.name_en, strict=False))
    wide.index = [f"{zh}\n{names.get(zh, '')}" for zh in wide.index]
    wide.plot.bar(ax=ax, rot=0)
    ax.tick_params(axis="x", labelsize=8)
    ax.set_title(
        "迁入海门人口来源地(全部模拟年份合计)\nArrivals in Haimen by origin (all simulated years)", fontsize=10
    )
    ax.set_ylabel("persons")
    out["arrivals"] = _figure_png(fig)
    if not c.spending.empty:
        fig, (ax,) = _axes(height=4)
        by = c.spending[c.spending.measure != "all"]
        spent = by.pivot_table(index="name_zh", columns="scenario", values="yuan")
        paying = [s for s in c.scenarios if s.name in spent.columns]  # in the comparison's order
        spent = spent[[s.name for s in paying]].set_axis([legend_name(s) for s in paying], axis=1)
        spent.plot.bar(ax=ax, rot=0)
        from matplotlib.ticker import FuncFormatter

        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y / YI:,.1f}"))
        ax.set_ylabel("亿元 (100 million yuan)")
        ax.set_xlabel("")
        ax.set_title("各措施补贴支出 Subsidies paid by measure (per run)", fontsize=10)
        out["spending"] = _figure_png(fig)
    return out


LABELS = {  # every table column's name in Chinese and English (the workbook's header row)
    "scenario": "情景 scenario",
    "reference": "参照情景 reference",
    "replicate": "重复 replicate",
    "seed": "随机种子 seed",
    "target": "目标 target",
    "outcome": "结果 outcome",
    "name_zh": "中文名称 name (Chinese)",
    "name_en": "英文名称 name (English)",
    "year": "年份 year",
    "unit": "单位 unit",
    "plan": "规划值 plan",
    "mean": "均值 mean",
    "min": "最小值 min",
    "max": "最大值 max",
    "count": "运行次数 runs",
    "low": "95%下限 low",
    "high": "95%上限 high",
    "met_share": "达标比例 share of runs meeting it",
    "pairs": "配对数 pairs",
    "origin": "来源地 origin",
    "people": "人数 persons",
    "measure": "措施 measure",
    "yuan": "支出(元/次运行) yuan per run",
    "recipients": "领取人次 recipients",
    "added_residents": "新增常住人口 added residents",
    "yuan_per_added_resident": "每新增居民支出(元) yuan per added resident",
    "setting": "设置 setting",
    "kind": "类别 kind",
    "value": "值 value",
    "baseline": "基线值 baseline",
    "title_zh": "中文标题 title (Chinese)",
    "title_en": "英文标题 title (English)",
    "description": "说明 description",
    "source": "文件 file",
}


def _fmt(value, unit: str = "") -> str:
    if isinstance(value, str) or value is None:
        return "" if value is None else html.escape(value)
    if pd.isna(value):
        return "n/a"
    if unit == "share":
        return f"{value:.1%}"
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.0f}"


def _cell(column: str, value, unit: str) -> str:
    """A table cell: numbers right-aligned (whole numbers for years, seeds, counts and measures), text left."""
    number = isinstance(value, int | float) and not isinstance(value, bool) and not pd.isna(value)
    if number and column in ("year", "pairs", "replicate", "seed", "measure"):
        return f"<td class='num'>{int(value)}</td>"
    return f"<td class='num'>{_fmt(value, unit)}</td>" if number else f"<td>{_fmt(value, unit)}</td>"


def _header(label: str) -> str:
    """A column's label (``中文 English``) as a header cell: the Chinese line above the English."""
    zh, _, en = label.partition(" ")
    return f"<th>{html.escape(zh)}<br><span lang='en'>{html.escape(en)}</span></th>"


NAMES = "names"  # a table's name_zh and name_en shown as one cell, the Chinese above the English


def _html_table(
    frame: pd.DataFrame, columns: list[str], unit_col: str | None = None, labels: dict[str, str] | None = None
) -> str:
    """``columns`` of ``frame`` as an HTML table; headers from :data:`LABELS` (or ``labels``) in both languages."""
    labels = LABELS | (labels or {})
    head = "".join(_header(labels[k]) for k in columns)
    body = []
    for r in frame.to_dict("records"):
        unit = r.get(unit_col, "") if unit_col else ""
        cells = "".join(
            f"<td class='name'>{_fmt(r['name_zh'])}<br><span lang='en'>{_fmt(r['name_en'])}</span></td>"
            if k == NAMES
            else _cell(k, r[k], unit)
            for k in columns
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


ATTAINMENT_COLUMNS = ["scenario", NAMES, "year", "plan", "mean", "low", "high", "met_share"]
DIFFERENCE_COLUMNS = ["scenario", NAMES, "year", "mean", "low", "high", "pairs"]
SPENDING_COLUMNS = ["scenario", "measure", NAMES, "yuan", "recipients", "added_residents", "yuan_per_added_resident"]
SCENARIO_COLUMNS = ["scenario", "title_zh", "title_en", "description"]


def scenario_table(scenarios: list[Scenario]) -> pd.DataFrame:
    """The compared scenarios: name, titles (the name where a file gives none) and description."""
    rows = [
        {
            "scenario": s.name,
            "title_zh": s.title_zh or s.name,
            "title_en": s.title_en or s.name,
            "description": s.description,
            "source": s.source,
        }
        for s in scenarios
    ]
    return pd.DataFrame(rows, columns=["scenario", "title_zh", "title_en", "description", "source"])


def settings_rows(scenarios: list[Scenario]) -> pd.DataFrame:
    """What each scenario sets differently from the baseline, with each setting's names, unit and baseline."""
    table = settings_table(scenarios)
    named = [lookup(key) for key in table.setting]
    return pd.DataFrame(
        {
            "scenario": table.scenario,
            "setting": table.setting,
            "name_zh": [s.name_zh for s in named],
            "name_en": [s.name_en for s in named],
            "kind": table.kind,
            "value": [_setting_text(v, s) for v, s in zip(table.value, named, strict=True)],
            "baseline": [_setting_text(default_value(s.key), s) for s in named],
        },
        columns=["scenario", "setting", "name_zh", "name_en", "kind", "value", "baseline"],
    )


def settings_by_scenario(scenarios: list[Scenario]) -> tuple[pd.DataFrame, list[str]]:
    """One row per setting any scenario changes: its names, key, baseline and the value each scenario runs
    (scenario names are the value columns, returned second)."""
    rows = settings_rows(scenarios)
    wide = rows.pivot_table(index="setting", columns="scenario", values="value", aggfunc="first", sort=False)
    first = rows.drop_duplicates("setting").set_index("setting")
    columns = {s.name: f"in {s.name}" for s in scenarios}  # value columns (a scenario may be called baseline)
    wide = wide.reindex(columns=list(columns)).rename(columns=columns).astype(object)
    table = first[["name_zh", "name_en", "baseline"]].join(wide).reset_index()
    for column in columns.values():  # a scenario that leaves a setting alone runs its baseline
        table[column] = table[column].fillna(table["baseline"])
    return table, list(columns.values())


def _setting_text(value, setting) -> str:
    """A setting's value as shown: ``never``, ``true``/``false``, a year, or a number with separators and unit."""
    if value is None:
        return NEVER
    if isinstance(value, bool):
        return str(value).lower()
    if setting.kind == "year":
        return str(value)
    if setting.unit == "share":
        return f"{value:.0%}"
    number = f"{value:,}" if isinstance(value, int) else f"{value:,.4g}"
    return f"{number} {setting.unit}".strip() if setting.unit not in ("", setting.kind) else number


def _settings_html(scenarios: list[Scenario]) -> str:
    table, names = settings_by_scenario(scenarios)
    labels = {NAMES: "杠杆或参数 lever or parameter"} | {n: f"情景 {n.removeprefix('in ')}" for n in names}
    return _html_table(table, [NAMES, "setting", "baseline", *names], labels=labels)


def render_html(c: Comparison) -> str:
    """The whole report as one HTML string (for screens and for A4 paper)."""
    figs = plots(c)
    names = ", ".join(s.name for s in c.scenarios)
    first = c.scenarios[0]
    att = c.attainment.assign(met_share=c.attainment.met_share.map(lambda v: "n/a" if pd.isna(v) else f"{v:.0%}"))
    parts = [
        "<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'>",
        f"<title>情景比较 Scenario comparison: {html.escape(names)}</title><style>{CSS}</style></head><body>",
        f"<h1>海门人口集聚情景比较<br>Haimen population plan: scenarios compared ({html.escape(names)})</h1>",
        f"<p>每个情景 {len(c.runs) // len(c.scenarios)} 次配对重复运行(相同随机种子), 1:{first.scale}, "
        f"{first.start}–{first.end}. Each scenario ran {len(c.runs) // len(c.scenarios)} paired replicates "
        f"(the same seeds), 1:{first.scale}, {first.start}–{first.end}; bands span the replicates, intervals are "
        f"95% t-intervals of the mean. Reference 参照: <b>{html.escape(c.reference)}</b>.</p>",
        _html_table(scenario_table(c.scenarios), SCENARIO_COLUMNS),
        *[f"<p class='note'>{html.escape(n)}</p>" for n in c.notes],
        "<h2>常住人口 Resident population</h2>",
        f"<img alt='population' src='data:image/png;base64,{figs['population']}'>",
        "<h2>重点片区新增人口 Added population by zone</h2>",
        f"<img alt='zones' src='data:image/png;base64,{figs['zones']}'>",
        "<h2>城镇化率 Urbanization</h2>",
        f"<img alt='urbanization' src='data:image/png;base64,{figs['urbanization']}'>",
        "<h2>迁入来源地 Arrivals by origin</h2>",
        f"<img alt='arrivals' src='data:image/png;base64,{figs['arrivals']}'>",
        "<h2>在上海工作的居民 Residents working in Shanghai</h2>",
        f"<img alt='shanghai' src='data:image/png;base64,{figs['shanghai']}'>",
        "<h2>目标达成 Target attainment</h2>",
        _html_table(att, ATTAINMENT_COLUMNS, "unit", {NAMES: "目标 target", "mean": "模型均值 model mean"}),
        f"<h2>与参照情景之差 Differences from {html.escape(c.reference)} (paired replicates)</h2>",
        _html_table(
            c.differences, DIFFERENCE_COLUMNS, "unit", {NAMES: "结果 outcome", "mean": "差值均值 mean difference"}
        ),
        "<h2>补贴支出 Spending and yuan per added resident</h2>",
    ]
    if c.spending.empty:
        parts.append("<p>本模型版本尚无支出表。The model has no spending table yet.</p>")
    else:
        if "spending" in figs:
            parts.append(f"<img alt='spending' src='data:image/png;base64,{figs['spending']}'>")
        parts.append(_html_table(c.spending, SPENDING_COLUMNS, labels={NAMES: "名称 name"}))
    parts += [
        "<h2>情景设置 Scenario settings (differences from baseline)</h2>",
        _settings_html(c.scenarios),
        "</body></html>",
    ]
    return "\n".join(parts)


def sheets(c: Comparison) -> dict[str, pd.DataFrame]:
    """The report's tables by sheet name (the workbook's content)."""
    bands = c.bands()
    bands.insert(2, "name_zh", bands.outcome.map(lambda k: describe(k)[0]))
    bands.insert(3, "name_en", bands.outcome.map(lambda k: describe(k)[1]))
    bands.insert(4, "unit", bands.outcome.map(lambda k: describe(k)[2]))
    return {
        "attainment 目标达成": c.attainment,
        "differences 差值": c.differences,
        "outcomes 结果": bands,
        "arrivals 来源地": c.arrivals,
        "spending 支出": c.spending,
        "scenarios 情景": scenario_table(c.scenarios),
        "runs 运行": c.runs,
        "settings 设置": settings_rows(c.scenarios),
    }


def read_workbook(path: Path) -> dict[str, pd.DataFrame]:
    """A report's workbook read back as its tables: sheet name -> table with the columns' keys (``scenario``,
    ``mean``…) in place of the bilingual header names."""
    keys = {label: key for key, label in LABELS.items()}
    return {
        name: frame.rename(columns=lambda c: keys.get(c, c))
        for name, frame in pd.read_excel(path, sheet_name=None).items()
    }


def write_report(c: Comparison, out: Path) -> tuple[Path, Path]:
    """Write ``report.html`` and ``report.xlsx`` into ``out``."""
    out = Path(out)
    html_path, xlsx_path = out / "report.html", out / "report.xlsx"
    text = render_html(c)
    write_atomic(html_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))

    write_atomic(xlsx_path, lambda tmp: write_workbook(tmp, sheets(c), LABELS))
    return html_path, xlsx_path
