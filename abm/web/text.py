"""The web page's own words in Chinese and English, and number formats (万 in Chinese, thousands in English).

Lever, outcome, target, place and measure names are not here: they are read
from their registries (``name_zh`` / ``name_en``) through :func:`name`.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import solara

from environment.places import places

LANGUAGES = ("zh", "en")
# Per browser tab (each tab is its own Solara kernel); Chinese first.
lang = solara.reactive("zh")
_drawing = threading.local()


def language() -> str:
    """The language to write in: the one this thread draws a frame in (:func:`writing_in`), else the tab's."""
    return getattr(_drawing, "language", None) or lang.value


@contextmanager
def writing_in(chosen: str) -> Iterator[None]:
    """Write in ``chosen`` in this thread (a frame is drawn in one language whatever the tab switches to)."""
    before = getattr(_drawing, "language", None)
    _drawing.language = chosen
    try:
        yield
    finally:
        _drawing.language = before


TEXT: dict[str, dict[str, str]] = {
    "title": {"zh": "海门人口集聚政策模拟", "en": "Haimen population plan simulator"},
    "switch": {"zh": "English", "en": "中文"},
    "current": {"zh": "当前设置", "en": "Current setting"},
    "reference": {"zh": "对照情景", "en": "Compared with"},
    "difference": {"zh": "差值", "en": "Difference"},
    "chance_pm": {"zh": "偶然±", "en": "chance ±"},
    "thousands_note": {"zh": "", "en": "k = thousand people"},
    "year": {"zh": "年份", "en": "Year"},
    "people_axis": {"zh": "万人", "en": "thousand people"},
    "people_year_axis": {"zh": "万人/年", "en": "thousand people/yr"},
    "share_axis": {"zh": "%", "en": "%"},
    "target": {"zh": "目标", "en": "Target"},
    "map_region": {"zh": "本年主要迁入来源", "en": "Main flows into Haimen this year"},
    "map_towns": {
        "zh": "海门各区镇:圈大小=人口,颜色=较2020年增减",
        "en": "Haimen's towns: size = people, colour = change since 2020",
    },
    "growth": {"zh": "较2020年", "en": "since 2020"},
    "haimen": {"zh": "海门区", "en": "Haimen District"},
    "haimen_short": {"zh": "海门区", "en": "Haimen"},  # on the region map, beside its circle
    "opens": {"zh": "{year}年开通", "en": "opens {year}"},
    "spending_title": {
        "zh": "各措施本年海门财政支出(万元;是花费,不是引来的人数)",
        "en": "Haimen's spending this year by measure (million yuan; money, not people)",
    },
    "spending_total": {"zh": "合计 {amount}", "en": "Total {amount}"},
    "external_capital": {"zh": "另有财政外投资{amount}", "en": "+{amount} outside the budget"},
    "before_adoption": {"zh": "规划{year}年起实施,此前无支出", "en": "the plan acts from {year}: no spending before"},
    "per_year_target": {"zh": "年目标{people}人", "en": "target {people}/yr"},
    "births_target": {"zh": "目标:促进生育", "en": "target: more births"},
    "origins_title": {"zh": "从区外迁入海门(按来源地)", "en": "Moves in from outside, by origin"},
    "shanghai_title": {"zh": "在上海工作的海门居民", "en": "Residents working in Shanghai"},
    "in_year": {"zh": "{year}年", "en": "{year}"},
    "error": {
        "zh": "模型出错(其他页面不受影响):{error}",
        "en": "The model failed (other tabs are unaffected): {error}",
    },
    "population_title": {"zh": "海门区常住人口", "en": "Residents"},
    "zones_title": {"zh": "三个区域较2020年新增", "en": "Added in three zones"},
    "urbanization_title": {"zh": "城镇化率", "en": "Urbanization"},
    "targets_title": {
        "zh": "规划目标(★ 2025年目标 · 实线 当前设置 · 虚线 对照情景)",
        "en": "Plan targets (★ 2025 target · solid: current setting · dashed: compared with)",
    },
    "band_legend": {"zh": "假设不确定性范围", "en": "assumptions' range"},
    "never": {"zh": "不开通", "en": "never"},
    "compare_with": {"zh": "对照情景", "en": "Compare with"},
    # the parameter after_plan (parameters.toml): what the plan's yearly programmes do after 2025
    "after_plan_label": {"zh": "2025年后的年度措施", "en": "Yearly programmes after 2025"},
    "after_plan_stop": {"zh": "停止(规划原文)", "en": "stop (the plan as written)"},
    "after_plan_continue": {"zh": "按规划值延续", "en": "continue at the plan's values"},
    "after_plan_phase_out": {"zh": "至2030年逐步退出", "en": "phase out by 2030"},
    "how_to": {
        "zh": "调整后按“重置”生效;“单步”前进一年,“播放”连续运行。未列出的杠杆取规划值。",
        "en": "Adjust, then press Reset; Step advances a year, Play runs on. Levers not listed keep their plan values.",
    },
    "pending": {
        "zh": "有改动尚未生效,按“重置”应用:{changes}",
        "en": "Changes not yet applied; press Reset to apply: {changes}",
    },
    "reset": {"zh": "重置", "en": "Reset"},
    "step": {"zh": "单步", "en": "Step"},
    "play": {"zh": "▶ 播放", "en": "▶ Play"},
    "pause": {"zh": "❚❚ 暂停", "en": "❚❚ Pause"},
    "scale_option": {"zh": "1:{scale}", "en": "1:{scale}"},
    "finished": {"zh": "已到{year}年(运行结束)", "en": "Reached {year} (end of the run)"},
    "advanced": {"zh": "高级设置", "en": "Advanced"},
    "scale_label": {"zh": "精度:每个模拟主体代表的户数", "en": "Detail: real households per simulated one"},
    "seed_label": {"zh": "偶然因素:第几组随机抽样", "en": "Chance: which random draw"},
    "seed_value": {"zh": "第{seed}组", "en": "draw {seed}"},
    "index_note": {"zh": "(品质评分,上海=100)", "en": " (points; Shanghai = 100)"},
    "presentation": {"zh": "演示模式", "en": "Presentation"},
    "workbench": {"zh": "操作模式", "en": "Controls"},
    "export": {"zh": "导出图片", "en": "Export PNG"},
    "stories": {"zh": "六个问题", "en": "Six questions"},
    "cheapest": {"zh": "达标最省钱的组合", "en": "Cheapest mix that meets the targets"},
    "cheapest_note": {
        "zh": "来自杠杆搜索(abm optimize)的最省钱稳健方案",
        "en": "the cheapest robust mix found by the lever search (abm optimize)",
    },
    "measures_title": {
        "zh": "十项措施各自的贡献:到{year}年多吸引的常住人口(万人),每人花费(万元/人)",
        "en": "What each measure adds: residents added by {year} (thousand), cost per added resident",
    },
    "measures_note": {
        "zh": "规划去掉该措施的对照差值 · {replicates}组随机抽样 · 1:{scale} · 横线=最低至最高",
        "en": "plan minus plan without it · {replicates} random draws · 1:{scale} · whiskers: lowest to highest",
    },
    "no_effect": {"zh": "无可测效果", "en": "no measurable effect"},
    "no_cost": {"zh": "未计成本", "en": "cost not counted"},
    "per_resident": {"zh": "{cost}万元/人", "en": "{cost}k yuan each"},
    "measures_missing": {
        "zh": "尚无预先计算的措施贡献表(scripts/measures.py)",
        "en": "No precomputed table of what each measure adds (scripts/measures.py)",
    },
    "panel_map": {"zh": "地图", "en": "Map"},
    "panel_spending": {"zh": "本年支出", "en": "Spending"},
    "panel_measures": {"zh": "十项措施", "en": "Ten measures"},
    "bad_address": {
        "zh": "链接中的设置无效,已忽略:{keys}",
        "en": "Settings in the address that are not valid were ignored: {keys}",
    },
    # the headline banner
    "projection": {"zh": "{year}年 海门区常住人口 {value}", "en": "{year}: {value} residents"},
    "gap_short": {"zh": "距{target}目标差{gap}", "en": "{gap} short of {target}"},
    "gap_over": {"zh": "超过{target}目标{gap}", "en": "{gap} above {target}"},
    "met": {"zh": "✔ 达标", "en": "✔ met"},
    "not_met": {"zh": "✘ 未达标", "en": "✘ not met"},
    "on_way": {"zh": "进行中", "en": "on the way"},
    "progress": {"zh": "完成率{share}", "en": "{share} done"},
    "judged_at": {"zh": "({year}年)", "en": "({year})"},
    "reached": {"zh": "{year}年达到{target}", "en": "{target} reached in {year}"},
    "reached_range": {"zh": "(偶然因素下{low}–{high})", "en": " (with chance: {low}–{high})"},
    "not_reached": {"zh": "{target}:{end}年前达不到", "en": "{target}: not by {end}"},
    "computing": {"zh": "{target}:计算中…", "en": "{target}: computing…"},
    "zone_chip": {"zh": "{name} {value} / {target}", "en": "{name} {value} of {target}"},
    "vs": {"zh": "对照“{reference}”:{difference}", "en": "vs “{reference}”: {difference}"},
    "chance": {"zh": "偶然因素 ±{sd}", "en": "chance ±{sd}"},
    "chance_of": {"zh": "(按“{scenario}”实测)", "en": " (as measured for “{scenario}”)"},
    "band_exact": {
        "zh": "假设不确定性:{low}–{high}({points}组假设,1:{scale})",
        "en": "range across assumptions: {low}–{high} ({points} assumption sets, 1:{scale})",
    },
    "band_nearest": {
        "zh": "假设不确定性约 {low} 至 {high}(按最接近的已测设置“{scenario}”估计)",
        "en": "range across assumptions about {low} to {high} (from the nearest measured setting, “{scenario}”)",
    },
    "chance_only": {
        "zh": "仅含偶然因素(该年份未测假设不确定性)",
        "en": "chance only (assumptions' range not measured for this year)",
    },
    "setting_plan": {"zh": "当前设置:规划", "en": "Current setting: the plan"},
    "setting_named": {"zh": "当前设置:{title}", "en": "Current setting: {title}"},
    "setting_changed": {"zh": "当前设置:{title},但 {changes}", "en": "Current setting: {title}, with {changes}"},
}

# Lever units as the registry writes them, in Chinese (English is the registry's own text); short, as a
# slider's value shows them. An index lever is shown in points (the registry's 0–1 index × 100).
UNIT_ZH = {
    "year": "年",
    "dwellings/yr": "套/年",
    "jobs/yr": "个岗位/年",
    "yuan/yr": "元/年",
    "yuan": "元",
    "index": "分",
    "seats/yr": "个学位/年",
    "share": "%",
    "students/yr": "人/年",
    "yuan/month": "元/月",
    "yuan/household": "元/户",
    "yuan/yr per child under 3": "元/年·每名3岁以下儿童",
    "people per agent": "户/主体",
}
UNIT_EN = {"index": "points", "share": "%", "yuan/yr per child under 3": "yuan/yr per child under 3"}


def unit(text: str) -> str:
    """A registry unit in the page's language."""
    return UNIT_ZH.get(text, text) if language() == "zh" else UNIT_EN.get(text, text)


def t(key: str, **fields: Any) -> str:
    """The page text ``key`` in the tab's language, with ``fields`` filled in."""
    text = TEXT[key][language()]
    return text.format(**fields) if fields else text


def name(item: Any) -> str:
    """The Chinese or English name of anything declared with ``name_zh`` and ``name_en``."""
    return getattr(item, f"name_{language()}")


def scenario_title(scenario: str) -> str:
    """A scenario's shown name in the page's language (its name if it has none)."""
    from abm.web.runs import scenario_titles

    return scenario_titles().get(scenario, {}).get(language(), scenario)


def people(value: float | None, signed: bool = False) -> str:
    """People as 万 (Chinese) or thousands (English), e.g. 102.4万 / 1,024.0k; exactly zero is "0"."""
    if value is None or not math.isfinite(value):
        return "–"
    if value == 0:
        return "0"
    sign = "+" if signed else ""
    unit, suffix = (1e4, "万") if language() == "zh" else (1e3, "k")
    if value % unit == 0:  # a round figure (a target): 110万, 4万, 1,100k
        return f"{value / unit:{sign},.0f}{suffix}"
    digits = 2 if language() == "zh" and abs(value) < 1e5 else 1
    return f"{value / unit:{sign},.{digits}f}{suffix}"


def people_scale() -> float:
    """Divisor for people on chart axes (万 or thousands)."""
    return 1e4 if language() == "zh" else 1e3


def percent(share: float | None, signed: bool = False, digits: int = 1) -> str:
    """A share as a percentage (signed: a difference in percentage points)."""
    if share is None or not math.isfinite(share):
        return "–"
    if signed and share == 0:
        return "0"
    return f"{100 * share:{'+' if signed else ''}.{digits}f}%"


def big_yuan(yuan: float) -> str:
    """An amount of money as words: 亿元 / 万元 in Chinese, billion / million yuan in English."""
    if language() == "zh":
        return f"{yuan / 1e8:,.1f}亿元" if yuan >= 1e8 else f"{yuan / 1e4:,.0f}万元"
    return f"{yuan / 1e9:,.2f} bn yuan" if yuan >= 1e9 else f"{yuan / 1e6:,.1f} m yuan"


def count(value: float) -> str:
    """A whole number with thousands separators, e.g. 300,000."""
    return f"{value:,.0f}"


def short(label: str) -> str:
    """A place name without its parenthesised remark, and in English without "Town" ("Subdistrict" shortened,
    so the subdistrict 海门街道 never reads as the district)."""
    label = label.split("(")[0].split(" (")[0].strip()
    return label.removesuffix(" Town").replace(" Subdistrict", " Subd.")


def place_name(key: str) -> str:
    """A place's short name in the page's language."""
    if key in PLACE_SHORT:
        return PLACE_SHORT[key][language()]
    pl = places()
    names = pl.name_zh if language() == "zh" else pl.name_en
    return short(names[pl.index(key)])


# Short names of the plan's zones (zones.csv gives their full names), and of the transport projects
# (projects.csv), for labels on the page.
# Short labels of the outcomes in the page's table (outcomes.toml gives their full names).
OUTCOME_SHORT = {
    "haimen_population": {"zh": "海门区常住人口", "en": "Residents"},
    "urbanization": {"zh": "城镇化率", "en": "Urbanization"},
    "net_migration": {"zh": "净迁入人口", "en": "Net migration"},
    "working_in_shanghai": {"zh": "在上海工作", "en": "Working in Shanghai"},
}
PLACE_SHORT = {"nantong": {"zh": "南通主城", "en": "Nantong"}}
ZONE_SHORT = {
    "kaifaqu": {"zh": "开发区", "en": "Development Zone"},
    "gangxinqu": {"zh": "港新区", "en": "Port New Area"},
    "sanxing": {"zh": "三星镇", "en": "Sanxing"},
}
PROJECT_SHORT = {
    "hsr": {"zh": "北沿江高铁", "en": "HSR, Haimen North"},
    "tunnel": {"zh": "海太长江隧道", "en": "Taicang tunnel"},
    "airport": {"zh": "南通新机场", "en": "Nantong airport"},
    "roads": {"zh": "G40/S356/G228道路", "en": "G40/S356/G228 roads"},
    "bus": {"zh": "公交一体化", "en": "Bus integration"},
}


def outcome_name(outcome: Any) -> str:
    """An outcome's short label in the page's language (its registry name if it has none)."""
    return OUTCOME_SHORT.get(outcome.key, {}).get(language()) or name(outcome)


def zone_name(zone: str) -> str:
    """A zone's short name in the page's language (its key if it has none)."""
    return ZONE_SHORT.get(zone, {}).get(language(), zone)


def project_name(project: str, full: dict[str, str]) -> str:
    """A transport project's short name in the page's language (else its full name, shortened)."""
    return PROJECT_SHORT.get(project, {}).get(language()) or short(full[f"name_{language()}"])
