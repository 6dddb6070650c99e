"""The comparison report on A4 paper: headless Chromium lays it out as printed (A4 portrait, the report's own
@page margins) and prints it to PDF. Every table and figure fits the page's width, and no run of Chinese characters
in a table is broken across lines (a squeezed column once showed one character a line).

Skipped when /usr/bin/chromium is missing, unless ABM_REQUIRE_BROWSER=1 (then it fails), as tests/test_app.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from environment.scenario import load
from experiments.compare import compare
from experiments.report import write_report

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
if not Path(CHROMIUM).is_file():
    if os.environ.get("ABM_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"ABM_REQUIRE_BROWSER=1 but there is no browser at {CHROMIUM} (apt-get install chromium)")
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow
A4_CONTENT_PX = round((210 - 2 * 12) / 25.4 * 96)  # A4's width less the report's 12 mm margins, in CSS pixels

LAYOUT = r"""() => {
  const width = document.documentElement.clientWidth;
  const tooWide = el => el.getBoundingClientRect().right > width + 1;
  const tables = [...document.querySelectorAll('table')].filter(tooWide).map(t => t.innerText.slice(0, 80));
  const images = [...document.images].filter(tooWide).map(i => i.alt);
  const broken = [];
  for (const cell of document.querySelectorAll('th, td')) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      for (const m of node.data.matchAll(/[\u3400-\u9fff]{2,}/g)) {
        const range = document.createRange();
        range.setStart(node, m.index);
        range.setEnd(node, m.index + m[0].length);
        if (new Set([...range.getClientRects()].map(r => Math.round(r.top))).size > 1) broken.push(m[0]);
      }
    }
  }
  return {width, tables, images, broken, cells: document.querySelectorAll('td').length};
}"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    mine = folder / "mine.toml"
    mine.write_text(
        'base = "plan"\ntitle_zh = "规划加人才购房补贴"\ntitle_en = "Plan, higher purchase subsidy"\n'
        '[levers]\n"人才购房补贴" = 300000\n',
        encoding="utf-8",
    )
    scenarios = [load(n).with_run(scale=1000, years="2020:2022") for n in ("baseline", "plan", mine)]
    html_path, _ = write_report(compare(scenarios, replicates=2, n_jobs=1), folder)
    return html_path


def test_the_report_prints_on_a4(report):
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": A4_CONTENT_PX, "height": 1100})
        outside: list[str] = []
        page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else outside.append(r.url))
        page.goto(report.as_uri())
        page.emulate_media(media="print")
        layout = page.evaluate(LAYOUT)
        pdf = page.pdf(format="A4", prefer_css_page_size=True)
        browser.close()
    assert layout["width"] == A4_CONTENT_PX and layout["cells"] > 100
    assert layout["tables"] == [], "tables wider than an A4 page"
    assert layout["images"] == [], "figures wider than an A4 page"
    assert layout["broken"] == [], "Chinese broken across lines in a table"
    assert pdf[:5] == b"%PDF-" and outside == []
