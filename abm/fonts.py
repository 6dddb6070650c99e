"""A CJK font for matplotlib, so Chinese labels render instead of empty boxes.

Looked for, in order: the Noto Sans CJK SC font shipped inside the ``mplfonts``
package (a project dependency), Debian's ``fonts-noto-cjk`` and
``fonts-wqy-*`` files, then any installed font matplotlib knows whose name marks
it as Chinese. Without one, plots still draw (Chinese shows as boxes) and one
warning says how to get a font.
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path

SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)
FAMILY_HINTS = (
    "Noto Sans CJK",
    "Noto Sans SC",
    "Source Han Sans",
    "WenQuanYi",
    "SimHei",
    "Microsoft YaHei",
    "PingFang",
)


def candidates() -> list[Path]:
    """Font files that may carry Chinese glyphs, best first (only those that exist)."""
    found = []
    try:
        from importlib.resources import files

        fonts = files("mplfonts") / "fonts"
        found += [Path(str(fonts / name)) for name in ("NotoSansCJKsc-Regular.otf", "SourceHanSerifSC-Regular.otf")]
    except (ImportError, ModuleNotFoundError):
        pass
    found += [Path(p) for p in SYSTEM_FONTS]
    return [p for p in found if p.is_file()]


@cache
def register_cjk_font() -> str | None:
    """Register a CJK font with matplotlib and put it first in the sans-serif list; its family name, or None."""
    from matplotlib import font_manager, rcParams

    family = None
    for path in candidates():
        try:
            font_manager.fontManager.addfont(str(path))
            family = font_manager.FontProperties(fname=str(path)).get_name()
            break
        except (OSError, RuntimeError, ValueError):
            continue
    if family is None:
        names = {f.name for f in font_manager.fontManager.ttflist}
        family = next((n for hint in FAMILY_HINTS for n in sorted(names) if hint.lower() in n.lower()), None)
    if family is None:
        warnings.warn(
            "no CJK font found: Chinese labels will show as boxes (pip install mplfonts, "
            "or apt-get install fonts-noto-cjk)",
            stacklevel=2,
        )
        return None
    rcParams["font.sans-serif"] = [family, *[f for f in rcParams["font.sans-serif"] if f != family]]
    rcParams["font.family"] = "sans-serif"
    rcParams["axes.unicode_minus"] = False
    return family
