"""The web page's own words in Chinese and English, and number formats (万 in Chinese, thousands in English).

Lever, outcome, target, place and measure names are not here: they are read
from their registries (``name_zh`` / ``name_en``) through :func:`name`.
"""

from __future__ import annotations

import math
from typing import Any

import solara

from environment.places import places

LANGUAGES = ("zh", "en")
# Per browser tab (each tab is its own Solara kernel); Chinese first.
lang = solara.reactive("zh")

TEXT: dict[str, dict[str, str]] = {
    "title": {"zh": "海门人口集聚政策模拟", "en": "Haimen population plan simulator"},
    "switch": {"zh": "English", "en": "中文"},
    "current": {"zh": "当前设置", "en": "Current setting"},
    "reference": {"zh": "对照情景", "en": "Compared with"},
    "difference": {"zh": "差值", "en": "Difference"},
    "thousands_note": {"zh": "", "en": "k = thousand people"},
    "year": {"zh": "年份", "en": "Year"},
    "people_axis": {"zh": "万人", "en": "thousand people"},
    "people_year_axis": {"zh": "万人/年", "en": "thousand people/yr"},
    "share_axis": {"zh": "%", "en": "%"},
    "target": {"zh": "目标", "en": "target"},
    "map_region": {"zh": "本年主要迁入来源", "en": "Main flows into Haimen this year"},
    "map_towns": {
        "zh": "海门各区镇(大小=人口,颜色=较2020年增长)",
        "en": "Haimen's towns: size = people, colour = growth since 2020",
    },
    "growth": {"zh": "较2020年增长", "en": "growth since 2020"},
    "haimen": {"zh": "海门", "en": "Haimen"},
    "existing_link": {"zh": "现有交通", "en": "existing link"},
    "opens": {"zh": "{year}年开通", "en": "opens {year}"},
    "spending_title": {
        "zh": "各措施补贴支出(万元/年;不是引来的人数)",
        "en": "Subsidies by measure (million yuan/yr; not people attracted)",
    },
    "no_money": {"zh": "无补贴类杠杆", "en": "no paying lever"},
    "per_year_target": {"zh": "年目标{people}人", "en": "target {people}/yr"},
    "origins_title": {"zh": "迁入海门的人口(按来源地)", "en": "Moves into Haimen by origin"},
    "within_haimen": {"zh": "海门区内", "en": "within Haimen"},
    "scale_seed": {"zh": "比例 1:{scale} · 种子 {seed}", "en": "scale 1:{scale} · seed {seed}"},
    "spread": {
        "zh": "2025年人口的种子间标准差(本比例实测,{n}个种子):±{sd}",
        "en": "2025 population, s.d. across seeds (measured at this scale, {n} seeds): ±{sd}",
    },
    "spread_unknown": {"zh": "本比例未测种子间差异", "en": "seed spread not measured at this scale"},
    "in_year": {"zh": "{year}年", "en": "in {year}"},
    "error": {
        "zh": "模型出错(其他页面不受影响):{error}",
        "en": "The model failed (other tabs are unaffected): {error}",
    },
    "zones_title": {"zh": "三个区域较2020年新增", "en": "Added since 2020 in the three zones"},
    "targets_title": {
        "zh": "规划目标(★ 2025年目标 · 实线 当前设置 · 虚线 对照情景)",
        "en": "Plan targets (★ 2025 target · solid: current setting · dashed: compared with)",
    },
    "never": {"zh": "不开通", "en": "never"},
    "compare_with": {"zh": "对照情景", "en": "Compare with"},
    "how_to": {
        "zh": "调整杠杆后按“重置”生效;“单步”前进一年,“播放”连续运行。",
        "en": "Move the levers, then press Reset; Step advances a year, Play runs on.",
    },
    "reset": {"zh": "重置", "en": "Reset"},
    "step": {"zh": "单步", "en": "Step"},
    "play": {"zh": "▶ 播放", "en": "▶ Play"},
    "pause": {"zh": "❚❚ 暂停", "en": "❚❚ Pause"},
    "scale_option": {"zh": "1:{scale}", "en": "1:{scale}"},
    "finished": {"zh": "已到{year}年(运行结束)", "en": "Reached {year} (end of the run)"},
    "levers_note": {
        "zh": "未列出的杠杆取规划值(plan)。",
        "en": "Levers not listed keep their plan values.",
    },
}

# Lever units as the registry writes them, in Chinese (English is the registry's own text).
UNIT_ZH = {
    "year": "年",
    "dwellings/yr": "套/年",
    "jobs/yr": "个岗位/年",
    "yuan/yr": "元/年",
    "yuan": "元",
    "index": "指数",
    "seats/yr": "个学位/年",
    "share": "比例",
    "students/yr": "人/年",
    "yuan/month": "元/月",
    "yuan/household": "元/户",
    "yuan/yr per child under 3": "元/年(每名3岁以下儿童)",
    "people per agent": "人/主体",
}


def unit(text: str) -> str:
    """A registry unit in the page's language."""
    return UNIT_ZH.get(text, text) if lang.value == "zh" else text


def t(key: str, **fields: Any) -> str:
    """The page text ``key`` in the tab's language, with ``fields`` filled in."""
    text = TEXT[key][lang.value]
    return text.format(**fields) if fields else text


def name(item: Any) -> str:
    """The Chinese or English name of anything declared with ``name_zh`` and ``name_en``."""
    return getattr(item, f"name_{lang.value}")


def scenario_title(scenario: str) -> str:
    """A built-in scenario's shown name in the page's language (its name if it has none)."""
    from abm.web.runs import scenario_titles

    return scenario_titles().get(scenario, {}).get(lang.value, scenario)


def people(value: float, signed: bool = False) -> str:
    """People as 万 (Chinese) or thousands (English), e.g. 102.4万 / 1,024.0k."""
    if value is None or not math.isfinite(value):
        return "–"
    sign = "+" if signed else ""
    if lang.value == "zh":
        return f"{value / 1e4:{sign},.2f}万" if abs(value) < 1e5 else f"{value / 1e4:{sign},.1f}万"
    return f"{value / 1e3:{sign},.1f}k"


def people_scale() -> float:
    """Divisor for people on chart axes (万 or thousands)."""
    return 1e4 if lang.value == "zh" else 1e3


def percent(share: float) -> str:
    """A share as a percentage."""
    return "–" if share is None or not math.isfinite(share) else f"{100 * share:.1f}%"


def short(label: str) -> str:
    """A place name without its parenthesised remark or its kind (Town, Subdistrict)."""
    label = label.split("(")[0].split(" (")[0].strip()
    return label.removesuffix(" Town").removesuffix(" Subdistrict")


def place_name(key: str) -> str:
    """A place's short name in the page's language."""
    pl = places()
    names = pl.name_zh if lang.value == "zh" else pl.name_en
    return short(names[pl.index(key)])
