"""The page's view as one PNG image: the headline banner over the charts shown, two to a row.

Drawn on the server with matplotlib (nothing to install in the browser, works offline): the
banner's lines as text, each chart rendered for the year on screen at :data:`DPI`, then laid out
on a white sheet.
"""

from __future__ import annotations

import html
import io
import re

import numpy as np
from matplotlib.figure import Figure
from matplotlib.image import imread, imsave

from abm.web.charts import LiveFigure
from abm.web.show import Show
from abm.web.summary import headline, setting_line, uncertainty_line, zones_line

DPI = 150


SIGNS = str.maketrans({"✔": "√", "✘": "×"})  # the marks in signs the CJK font has


def plain(markup: str) -> str:
    """HTML as plain text."""
    return html.unescape(re.sub(r"<[^>]+>", " ", markup)).replace("  ", " ").strip().translate(SIGNS)


def _pixels(png: bytes) -> np.ndarray:
    return (imread(io.BytesIO(png), format="png")[..., :3] * 255).astype(np.uint8)


def _banner(show: Show, year: int, width: int) -> np.ndarray:
    run = show.run
    lines = [
        (plain(headline(run, year)), 20, "bold"),
        (plain(uncertainty_line(run, year)), 14, "normal"),
        (plain(zones_line(run, year)), 14, "normal"),
        (setting_line(run), 13, "normal"),
    ]
    fig = Figure(figsize=(width / DPI, 1.45), dpi=DPI)
    for i, (text, size, weight) in enumerate(lines):
        colour = "#0d47a1" if i == 0 else "#111"
        fig.text(0.01, 0.8 - 0.23 * i, text, fontsize=size, weight=weight, va="center", color=colour)
    out = io.BytesIO()
    fig.savefig(out, format="png", dpi=DPI)
    return _pixels(out.getvalue())


def _sheet(rows: list[list[np.ndarray]]) -> np.ndarray:
    """Images laid out in rows (each row as tall as its tallest), on white."""
    width = max(sum(im.shape[1] for im in row) for row in rows)
    parts = []
    for row in rows:
        height = max(im.shape[0] for im in row)
        strip = np.full((height, width, 3), 255, np.uint8)
        x = 0
        for im in row:
            strip[: im.shape[0], x : x + im.shape[1]] = im
            x += im.shape[1]
        parts.append(strip)
    return np.concatenate(parts)


def view_png(show: Show, year: int, kinds: list[type[LiveFigure]], language: str) -> bytes:
    """The banner and the charts of ``kinds`` (two to a row) for ``year`` in ``language``, as PNG bytes."""
    show.goto(show.run.end)  # the run to its end, so the banner says when the target is reached
    with show.drawing(language):
        charts = [_pixels(figure.render(year, "png", DPI)) for kind in kinds if (figure := show.chart(kind))]
        rows = [charts[i : i + 2] for i in range(0, len(charts), 2)]
        width = max(sum(im.shape[1] for im in row) for row in rows) if rows else 1600
        sheet = _sheet([[_banner(show, year, width)], *rows])
        out = io.BytesIO()
        imsave(out, sheet, format="png")
    return out.getvalue()
