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


@pytest.fixture(scope="module")
def server():
    """`abm serve` on a free port; stopped with SIGINT (Ctrl-C), which must exit 0."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    log_path = SHOTS / "server.log"
    log = log_path.open("w")
    cmd = [sys.executable, "-m", "experiments.cli", "serve", "--port", str(port)]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"abm serve exited early: {log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "readyz", timeout=2) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if time.time() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            raise RuntimeError("abm serve not ready within 120 s")
        time.sleep(0.3)
    TIMINGS["server_ready_s"] = round(time.perf_counter() - started, 2)
    yield url
    proc.send_signal(signal.SIGINT)
    try:
        rc = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        pytest.fail("abm serve did not stop within 30 s of Ctrl-C")
    log.close()
    (SHOTS / "timings.json").write_text(json.dumps(TIMINGS, indent=2))
    text = log_path.read_text()
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
        return self.page.get_by_role("button", name="Step", exact=True)

    @property
    def status(self) -> str:
        return self.page.locator(".demo-status").inner_text()

    def image(self, n: int = 0) -> str:
        """The n-th chart's image source (the SVG data)."""
        return self.page.locator("img.widget-image").nth(n).get_attribute("src") or ""

    def step(self) -> float:
        """Click Step; seconds until the page shows the next year."""
        before = self.status
        started = time.perf_counter()
        self.step_button.click()
        self.page.wait_for_function(
            "b => { const e = document.querySelector('.demo-status'); return e && e.innerText !== b }",
            arg=before,
            polling="raf",
            timeout=60_000,
        )
        return time.perf_counter() - started

    def reset(self) -> None:
        before = self.image(0)
        self.page.get_by_role("button", name="Reset", exact=True).click()
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

    def choose(self, label: str, value: str) -> None:
        self.page.locator(".v-select", has_text=label).locator(".v-input__slot").click()
        self.page.locator(".v-menu__content .v-list-item", has_text=value).first.click()

    def check_clean(self) -> None:
        assert self.external == [], f"requests left 127.0.0.1: {self.external}"
        assert self.errors == [], "\n".join(self.errors)


def texts(lang: str) -> dict[str, str]:
    """Labels the tests look for, from the page's own tables and the registries."""
    from abm.app_text import TEXT, UNIT_ZH
    from environment.settings import levers

    jobs = levers()["industrial_jobs_kaifaqu"]
    unit = {"zh": UNIT_ZH[jobs.unit], "en": jobs.unit}[lang]
    return {
        "title": TEXT["title"][lang],
        "switch": TEXT["switch"][lang],
        "current": TEXT["current"][lang],
        "compare_with": TEXT["compare_with"][lang],
        "jobs_slider": f"{getattr(jobs, f'name_{lang}')} ({unit})",
    }


def test_page_loads_offline_in_chinese(server, browser):
    ctx = browser.new_context(viewport=SCREEN)
    tab = Tab(ctx, server)
    TIMINGS["seconds_to_interactive_first_tab"] = round(tab.seconds_to_interactive, 2)
    zh = texts("zh")
    expect(tab.page.get_by_text(zh["title"]).first).to_be_visible()
    assert "2020" in tab.status and "万" in tab.status
    tab.page.wait_for_timeout(1000)  # late requests and errors
    tab.page.screenshot(path=SHOTS / "demo_zh.png")
    tab.check_clean()
    ctx.close()


def test_slider_and_steps_change_the_charts(server, browser):
    ctx = browser.new_context(viewport=SCREEN)
    tab = Tab(ctx, server)
    TIMINGS["seconds_to_interactive_fresh_context"] = round(tab.seconds_to_interactive, 2)
    zh = texts("zh")
    charts = [tab.image(i) for i in range(4)]
    tab.slider_to_end(zh["jobs_slider"])
    tab.reset()
    times = [tab.step() for _ in range(3)]
    TIMINGS["step_click_to_new_year_s"] = {"mean": round(statistics.mean(times), 2), "max": round(max(times), 2)}
    assert "2023" in tab.status
    tab.page.wait_for_timeout(500)
    assert all(tab.image(i) != charts[i] for i in range(4))
    from abm.app import status
    from abm.app_controls import model_params
    from abm.app_runs import DemoRun

    values = {k: v["value"] for k, v in model_params().items()}
    values["industrial_jobs_kaifaqu"] = 10_000
    run = DemoRun(**values)
    for _ in range(3):
        run.step()
    assert tab.status == status(run)  # the page shows what the model computes
    tab.page.screenshot(path=SHOTS / "demo_zh_2023.png")
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
    tab.page.wait_for_function("b => document.querySelectorAll('img.widget-image')[1].src !== b", arg=chart)
    tab.page.wait_for_timeout(500)
    tab.page.screenshot(path=SHOTS / "demo_en.png")
    tab.page.get_by_role("button", name=en["switch"]).click()
    expect(tab.page.get_by_text(zh["title"]).first).to_be_visible()
    tab.check_clean()
    ctx.close()


def test_comparison_shows_two_runs(server, browser):
    ctx = browser.new_context(viewport=SCREEN)
    tab = Tab(ctx, server)
    zh = texts("zh")
    tab.choose(zh["compare_with"], "plan_without_07_livability")
    tab.reset()
    for _ in range(2):
        tab.step()
    table = tab.page.locator(".demo-compare")
    expect(table).to_contain_text(zh["current"])
    expect(table).to_contain_text("plan_without_07_livability")
    assert "plan_without_07_livability" in tab.status
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
