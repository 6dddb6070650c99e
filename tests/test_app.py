"""The web demo in a real browser: `abm serve` driven by headless Debian Chromium through Playwright.

Skipped when /usr/bin/chromium is missing, unless ABM_REQUIRE_BROWSER=1 (then
they fail). Every request leaving 127.0.0.1 is blocked and fails the test;
console errors and failed requests fail it too. Screenshots (both languages)
and timings go to results/screenshots/.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "results" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREEN = {"width": 1920, "height": 1080}
READING_MS = 1500  # a pause to read a year before the next Step
TIMINGS: dict[str, object] = {}

if not Path(CHROMIUM).is_file():
    if os.environ.get("ABM_REQUIRE_BROWSER") == "1":
        raise RuntimeError(f"ABM_REQUIRE_BROWSER=1 but there is no browser at {CHROMIUM} (apt-get install chromium)")
    pytest.skip(
        f"no Chromium at {CHROMIUM} (apt-get install chromium; set ABM_REQUIRE_BROWSER=1 to fail instead)",
        allow_module_level=True,
    )

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A demo server on a free port, its log under results/screenshots/."""

    def __init__(self, cmd: list[str], log_name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.log_path = SHOTS / log_name
        self.log = self.log_path.open("w")
        started = time.perf_counter()
        self.proc = subprocess.Popen(
            [*cmd, str(self.port)], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.url = f"http://127.0.0.1:{self.port}/"
        deadline = time.time() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the demo server exited early: {self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.url + "readyz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.time() > deadline:
                os.killpg(self.proc.pid, signal.SIGKILL)
                raise RuntimeError("the demo server was not ready within 120 s")
            time.sleep(0.3)
        self.seconds_to_ready = time.perf_counter() - started

    def alive(self) -> bool:
        with urllib.request.urlopen(self.url + "readyz", timeout=5) as r:
            return r.status == 200

    def stop(self) -> tuple[int, str]:
        """Ctrl-C (SIGINT); the exit status and the log."""
        self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            pytest.fail("the demo server did not stop within 30 s of Ctrl-C")
        self.log.close()
        return rc, self.log_path.read_text()


@pytest.fixture(scope="module")
def server():
    """`abm serve` on a free port; stopped with SIGINT (Ctrl-C), which must exit 0."""
    srv = Server([sys.executable, "-m", "experiments.cli", "serve", "--port"], "server.log")
    TIMINGS["server_ready_s"] = round(srv.seconds_to_ready, 2)
    yield srv.url
    rc, text = srv.stop()
    TIMINGS["load_average_1min_at_end"] = round(os.getloadavg()[0], 2)
    (SHOTS / "timings.json").write_text(json.dumps(TIMINGS, indent=2))
    assert rc == 0, text
    assert "the demo is at http://127.0.0.1:" in text
    assert "Could not load URL" not in text, "the server fetched a web asset from the internet (cache incomplete)"
    assert "Traceback" not in text, text


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Tab:
    """One browser tab: blocks and records requests beyond 127.0.0.1, collects console errors."""

    def __init__(self, context, url: str) -> None:
        self.page: Page = context.new_page()
        self.external: list[str] = []
        self.errors: list[str] = []
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))
        self.page.on("requestfailed", lambda r: self.errors.append(f"requestfailed: {r.url} {r.failure}"))
        self.page.on("response", lambda r: self.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
        started = time.perf_counter()
        self.page.goto(url)
        self.step_button.wait_for(timeout=90_000)
        expect(self.page.locator(".demo-status")).to_be_visible(timeout=90_000)
        expect(self.page.locator("img.widget-image")).to_have_count(4, timeout=90_000)
        self.seconds_to_interactive = time.perf_counter() - started

    def _route(self, route) -> None:
        u = route.request.url
        if u.startswith(("data:", "blob:")) or urlparse(u).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.external.append(u)
            route.abort()

    @property
    def step_button(self):
        return self.page.locator("button.demo-step")

    @property
    def status(self) -> str:
        return self.page.locator(".demo-status").inner_text()

    def image(self, n: int = 0) -> str:
        """The n-th chart's image source (the SVG data)."""
        return self.page.locator("img.widget-image").nth(n).get_attribute("src") or ""

    def images(self) -> list[str]:
        return self.page.evaluate("() => [...document.querySelectorAll('img.widget-image')].map(e => e.src)")

    def step(self) -> float:
        """Click Step; seconds until the page shows the next year (its numbers)."""
        return self.timed_step()[0]

    def timed_step(self) -> tuple[float, float]:
        """Click Step; seconds until the next year's numbers, and until all four of its charts, are on screen."""
        before, charts = self.status, self.images()
        started = time.perf_counter()
        self.step_button.click()
        self.page.wait_for_function(
            "b => { const e = document.querySelector('.demo-status'); return e && e.innerText !== b }",
            arg=before,
            polling="raf",
            timeout=60_000,
        )
        numbers = time.perf_counter() - started
        self.page.wait_for_function(
            """b => { const im = [...document.querySelectorAll('img.widget-image')];
                      return im.length === b.length && im.every((e, i) => e.src !== b[i] && e.complete) }""",
            arg=charts,
            polling="raf",
            timeout=60_000,
        )
        return numbers, time.perf_counter() - started

    def reset(self) -> None:
        before = self.image(0)
        self.page.locator("button.demo-reset").click()
        self.page.wait_for_function(
            "b => { const e = document.querySelector('img.widget-image'); return e && e.src !== b }",
            arg=before,
            polling="raf",
            timeout=60_000,
        )

    def slider_to_end(self, label: str) -> None:
        thumb = self.page.locator(f'[role="slider"][aria-label="{label}"]')
        thumb.focus()
        thumb.press("End")

    def slider_to(self, label: str, stops_from_start: int) -> None:
        thumb = self.page.locator(f'[role="slider"][aria-label="{label}"]')
        thumb.focus()
        thumb.press("Home")
        for _ in range(stops_from_start):
            thumb.press("ArrowRight")
        expect(thumb).to_have_attribute("aria-valuenow", str(stops_from_start))

    def overflow(self) -> dict[str, list[int]]:
        """scrollHeight and clientHeight of the page, the sidebar and the main area."""
        return self.page.evaluate(
            """() => {
                const size = e => e ? [e.scrollHeight, e.clientHeight] : null;
                const scroller = e => {  // the main area's scrolling box
                    while (e && !['auto', 'scroll'].includes(getComputedStyle(e).overflowY)) e = e.parentElement;
                    return e;
                };
                return {
                    page: size(document.scrollingElement),
                    sidebar: size(document.querySelector('.v-navigation-drawer__content')),
                    main: size(scroller(document.querySelector('.demo-grid'))),
                };
            }"""
        )

    def choose(self, label: str, value: str) -> None:
        self.page.locator(".v-select", has_text=label).locator(".v-input__slot").click()
        self.page.locator(".v-menu__content .v-list-item", has_text=value).first.click()

    def check_clean(self) -> None:
        assert self.external == [], f"requests left 127.0.0.1: {self.external}"
        assert self.errors == [], "\n".join(self.errors)


def texts(lang: str) -> dict[str, str]:
    """Labels the tests look for, from the page's own tables and the registries."""
    from abm.web.runs import scenario_titles
    from abm.web.text import TEXT, UNIT_ZH
    from environment.settings import levers, run_options

    jobs = levers()["industrial_jobs_kaifaqu"]
    unit = {"zh": UNIT_ZH[jobs.unit], "en": jobs.unit}[lang]
    return {
        "title": TEXT["title"][lang],
        "switch": TEXT["switch"][lang],
        "current": TEXT["current"][lang],
        "compare_with": TEXT["compare_with"][lang],
        "step": TEXT["step"][lang],
        "reset": TEXT["reset"][lang],
        "play": TEXT["play"][lang],
        "jobs_slider": f"{getattr(jobs, f'name_{lang}')} ({unit})",
        "seed_slider": getattr(run_options()["seed"], f"name_{lang}"),
        "baseline": scenario_titles()["baseline"][lang],
        "without_07": scenario_titles()["plan_without_07_livability"][lang],
    }


def assert_fits(tab: Tab) -> None:
    """Nothing scrolls at 1920×1080: the page, the sidebar, the main area."""
    for where, (scroll, client) in tab.overflow().items():
        assert scroll <= client, f"the {where} scrolls at 1920×1080: {scroll} px of content in {client} px"


def test_page_loads_offline_in_chinese(server, browser):
    ctx = browser.new_context(viewport=SCREEN)
    tab = Tab(ctx, server)
    TIMINGS["seconds_to_interactive_first_tab"] = round(tab.seconds_to_interactive, 2)
    zh = texts("zh")
    expect(tab.page.get_by_text(zh["title"]).first).to_be_visible()
    assert "2020" in tab.status and "万" in tab.status
    for key in ("step", "reset", "play"):  # the controls speak Chinese too
        expect(tab.page.locator(f"button.demo-{key}")).to_have_text(zh[key])
    expect(tab.page.locator(".demo-reference")).to_contain_text(zh["baseline"])
    tab.page.wait_for_timeout(1000)  # late requests and errors
    assert_fits(tab)
    tab.page.screenshot(path=SHOTS / "demo_zh.png")
    tab.check_clean()
    ctx.close()


def test_slider_and_steps_change_the_charts(server, browser):
    ctx = browser.new_context(viewport=SCREEN)
    tab = Tab(ctx, server)
    TIMINGS["seconds_to_interactive_fresh_context"] = round(tab.seconds_to_interactive, 2)
    zh = texts("zh")
    charts = tab.images()
    tab.slider_to_end(zh["jobs_slider"])
    tab.reset()
    rapid = [tab.timed_step() for _ in range(3)]  # clicked as soon as the year is on screen
    read = []
    for _ in range(3):  # clicked after a moment to read the year, as in a demo
        tab.page.wait_for_timeout(READING_MS)
        read.append(tab.timed_step())
    for name, times in (("after_reading", read), ("back_to_back", rapid)):
        numbers, all_charts = [n for n, _ in times], [c for _, c in times]
        TIMINGS[f"step_click_to_next_year_{name}_s"] = {
            "numbers_mean": round(statistics.mean(numbers), 2),
            "numbers_max": round(max(numbers), 2),
            "all_four_charts_mean": round(statistics.mean(all_charts), 2),
            "all_four_charts_max": round(max(all_charts), 2),
        }
    TIMINGS["load_average_1min_while_stepping"] = round(os.getloadavg()[0], 2)
    assert "2026" in tab.status
    assert all(a != b for a, b in zip(tab.images(), charts, strict=True))
    from abm.web.controls import default_values
    from abm.web.page import status
    from abm.web.runs import DemoRun

    run = DemoRun(**default_values() | {"industrial_jobs_kaifaqu": 10_000})
    for _ in range(6):
        run.step()
    assert tab.status == status(run)  # the page shows what the model computes
    tab.page.screenshot(path=SHOTS / "demo_zh_2026.png")
    tab.check_clean()
    ctx.close()


def test_language_switch(server, browser):
    ctx = browser.new_context(viewport=SCREEN)
    tab = Tab(ctx, server)
    zh, en = texts("zh"), texts("en")
    tab.step()
    chart = tab.image(1)
    tab.page.get_by_role("button", name=zh["switch"]).click()
    expect(tab.page.get_by_text(en["title"]).first).to_be_visible()
    expect(tab.page.locator(f'[role="slider"][aria-label="{en["jobs_slider"]}"]')).to_have_count(1)
    expect(tab.page.locator(".demo-status")).to_contain_text("k · ")
    for key in ("step", "reset", "play"):
        expect(tab.page.locator(f"button.demo-{key}")).to_have_text(en[key])
    expect(tab.page.locator(".demo-reference")).to_contain_text(en["baseline"])
    tab.page.wait_for_function("b => document.querySelectorAll('img.widget-image')[1].src !== b", arg=chart)
    tab.page.wait_for_timeout(500)
    assert_fits(tab)
    tab.page.screenshot(path=SHOTS / "demo_en.png")
    tab.page.get_by_role("button", name=en["switch"]).click()
    expect(tab.page.get_by_text(zh["title"]).first).to_be_visible()
    tab.check_clean()
    ctx.close()


def test_comparison_shows_two_runs(server, browser):
    ctx = browser.new_context(viewport=SCREEN)
    tab = Tab(ctx, server)
    zh = texts("zh")
    tab.choose(zh["compare_with"], zh["without_07"])
    tab.reset()
    for _ in range(2):
        tab.step()
    table = tab.page.locator(".demo-compare")
    expect(table).to_contain_text(zh["current"])
    expect(table).to_contain_text(zh["without_07"])
    assert zh["without_07"] in tab.status
    assert "差值 +" in tab.status or "差值 -" in tab.status
    tab.check_clean()
    ctx.close()


def test_two_tabs_keep_their_own_models(server, browser):
    ctx = browser.new_context(viewport=SCREEN)  # one context: shared cookies, like two tabs of one browser
    a, b = Tab(ctx, server), Tab(ctx, server)
    for _ in range(3):
        a.step()
    b.step()
    assert "2023" in a.status and "2021" in b.status
    b.page.get_by_role("button", name=texts("zh")["switch"]).click()
    expect(b.page.locator(".demo-status")).to_contain_text("2021")
    expect(b.page.get_by_text(texts("en")["title"]).first).to_be_visible()
    expect(a.page.get_by_text(texts("zh")["title"]).first).to_be_visible()
    assert "2023" in a.status
    a.check_clean()
    b.check_clean()
    ctx.close()


def test_a_model_error_stays_in_its_tab(browser, monkeypatch):
    """A tab whose model fails shows a message (no traceback); another tab steps on; the server lives."""
    monkeypatch.syspath_prepend(str(ROOT / "tests"))
    from failing_demo_server import FAILING_SEED, MESSAGE

    srv = Server([sys.executable, str(ROOT / "tests" / "failing_demo_server.py")], "server_failing.log")
    try:
        ctx = browser.new_context(viewport=SCREEN)
        broken, healthy = Tab(ctx, srv.url), Tab(ctx, srv.url)
        zh = texts("zh")
        broken.slider_to(zh["seed_slider"], FAILING_SEED)
        broken.reset()
        broken.step_button.click()
        error = broken.page.locator(".demo-error")
        expect(error).to_contain_text(MESSAGE)
        assert "Traceback" not in broken.page.locator("body").inner_text()
        expect(broken.step_button).to_be_disabled()
        for year in (2021, 2022):
            healthy.step()
            assert str(year) in healthy.status
        expect(healthy.page.locator(".demo-error")).to_have_count(0)
        assert srv.alive()
        fresh = Tab(ctx, srv.url)  # the server still serves new tabs
        fresh.step()
        assert "2021" in fresh.status
        for tab in (broken, healthy, fresh):
            tab.check_clean()
        ctx.close()
    finally:
        rc, text = srv.stop()
    assert rc == 0, text
    assert MESSAGE in text  # the failure is logged on the server, for whoever runs it


def test_play_and_pause(server, browser):
    ctx = browser.new_context(viewport=SCREEN)
    tab = Tab(ctx, server)
    play = tab.page.locator("button.demo-play")
    play.click()
    expect(tab.step_button).to_be_disabled()  # no Step while playing
    tab.page.wait_for_function(
        "() => document.querySelector('.demo-status').innerText.includes('2022')", timeout=30_000
    )
    play.click()
    expect(tab.step_button).to_be_enabled()
    # a year already on its way at the click may reach the page just after the buttons change (seen once in
    # a clean-clone test run: 2022 read as paused, then 2023), so the paused page is read once it has settled
    tab.page.wait_for_timeout(1000)
    stopped = tab.status
    tab.page.wait_for_timeout(1500)
    assert tab.status == stopped  # paused: no more years
    assert int(stopped[:4]) >= 2022  # the status starts with the year
    tab.check_clean()
    ctx.close()
