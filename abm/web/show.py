"""A tab's run and the frames drawn of it: the next year is ready before it is asked for.

While the audience reads year Y, :meth:`Show.prepare` steps the run to Y+1 and
draws that year's frame in the background, so a Step click only swaps it in;
then :meth:`Show.run_ahead` steps the run on to its end (the headline says when
110万 is reached). The run's step is deterministic, so stepping early changes no
number. The page reads frames, never the run's state in the middle of a step:
everything that draws or steps holds :attr:`Show.lock`, so the charts are drawn by
one thread at a time; a frame is drawn in the language it is asked for
(:func:`~abm.web.text.writing_in`), whatever the tab switches to meanwhile, and with the
server's matplotlib settings, not the asking tab's (:meth:`Show.drawing`).

Tabs that run the same setting share one Show (:func:`show_for`; the run is
deterministic, so it is the same run), each with its own year on screen, and
frames are kept in one cache for the server (:data:`FRAME_CACHE` of them): a new
tab, a reload, a second viewer of a shared link or a Reset finds its years
stepped and drawn.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from solara.server import kernel_context

from abm.web.charts import LiveFigure, MeasuresFigure, OriginsFigure, SpendingFigure, TargetsFigure
from abm.web.map import MapFigure
from abm.web.runs import DemoRun
from abm.web.text import language, writing_in

CHARTS: tuple[type[LiveFigure], ...] = (MapFigure, TargetsFigure, OriginsFigure, SpendingFigure, MeasuresFigure)
FRAME_CACHE = 64  # frames kept for the whole server (a frame is 5 SVGs, 0.2–0.5 MB)
SHOW_CACHE = 8  # runs kept for new tabs of the same setting (a run is two models: 5–20 MB at 1:100)
YIELD_S = 0.002  # a pause between the years stepped ahead, for whoever waits for the lock


@dataclass(frozen=True)
class Frame:
    """The charts of one year in one language (or why the run stopped before it)."""

    year: int
    charts: tuple[bytes, ...] = ()  # SVG, in the order of CHARTS
    chart_errors: tuple[str | None, ...] = ()
    error: str | None = None  # the model failed on its way to this year


_frames: OrderedDict[tuple, Frame] = OrderedDict()
_frames_lock = threading.Lock()
_static: dict[tuple[str, str], tuple[bytes, str | None]] = {}  # (chart, language) -> drawn once for all runs


def _cached(key: tuple) -> Frame | None:
    with _frames_lock:
        frame = _frames.get(key)
        if frame is not None:
            _frames.move_to_end(key)
        return frame


def _keep(key: tuple, frame: Frame) -> None:
    with _frames_lock:
        _frames[key] = frame
        while len(_frames) > FRAME_CACHE:
            _frames.popitem(last=False)


_shows: OrderedDict[tuple, Show] = OrderedDict()
_shows_lock = threading.Lock()


def show_for(values: dict[str, Any]) -> Show:
    """The Show of the setting ``values``: the one other tabs run, or a new one."""
    key = run_key(values)
    with _shows_lock:
        found = _shows.get(key)
    if found is None:
        made = Show(values)  # (outside the lock: other tabs need not wait for it)
        with _shows_lock:
            found = _shows.setdefault(key, made)
    with _shows_lock:
        _shows.move_to_end(key)
        while len(_shows) > SHOW_CACHE:
            _shows.popitem(last=False)  # tabs showing it keep it; new tabs make another
    return found


@contextmanager
def outside_the_tab() -> Iterator[None]:
    """Leave the Solara tab (kernel context) this thread serves while the block runs.

    Solara keeps matplotlib's settings per tab. A Show's figures are shared by every tab of its setting, so they
    are drawn with the server's settings; and a tab closed while its frame is drawn (the end of a demo) would take
    its settings away from under the drawing.
    """
    key = kernel_context.get_current_thread_key()
    tab = kernel_context.current_context.get(key)
    kernel_context.current_context[key] = None
    try:
        yield
    finally:
        if tab is not None and not tab.closed_event.is_set():
            kernel_context.current_context[key] = tab
        else:  # it was closed meanwhile (its close let this thread be) or there was none
            kernel_context.current_context.pop(key, None)


def run_key(values: dict[str, Any]) -> tuple:
    """A setting of the page as a key (the same setting on the same seed draws the same frames)."""
    return tuple(sorted(values.items()))


class Show:
    """A run made from the page's setting ``values``, and its frames."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = dict(values)
        self.key = run_key(values)
        self.run = DemoRun(**values)
        self.lock = threading.RLock()
        self.figures: dict[str, list[LiveFigure | None]] = {}  # by language

    def ready(self, year: int, language: str) -> Frame | None:
        """The frame of ``year`` if it is drawn (never waits)."""
        return _cached((self.key, year, language))

    def frame(self, year: int, language: str) -> Frame:
        """The frame of ``year`` in ``language`` (the page's current one), drawn if not yet."""
        found = self.ready(year, language)
        if found is not None:
            return found
        with self.drawing(language):
            found = self.ready(year, language)
            if found is None:
                found = self._draw(year)
                if not found.error or year <= self.run.year:  # a failure is kept; an unreached year is not
                    _keep((self.key, year, language), found)
            return found

    @contextmanager
    def drawing(self, language: str) -> Iterator[None]:
        """Hold the lock and draw in ``language`` with the server's matplotlib settings (:func:`outside_the_tab`)."""
        with self.lock, writing_in(language), outside_the_tab():
            yield

    def goto(self, year: int) -> None:
        """Step the run to ``year`` (or as far as it goes) without drawing the years between.

        The lock is let go between years, and a moment given, so a Step or a language switch waiting for it
        gets it at once (a lock re-taken at once by the same thread would keep them waiting to the end).
        """
        while self.run.year < min(year, self.run.end) and not self.run.error:
            with self.lock:
                if self.run.year < year:
                    self.run.step()
            time.sleep(YIELD_S)

    def prepare(self, year: int, language: str) -> Frame | None:
        """The frame of the year after ``year`` in ``language``: the run stepped and the frame drawn if not yet.

        None at the end of the run.
        """
        if year >= self.run.end:
            return None
        self.goto(year + 1)  # a failure is kept in run.error and becomes that year's frame
        return self.frame(year + 1, language)

    def run_ahead(self) -> bool:
        """Step the run on to its end, a year per hold of the lock (with whoever else does). True if it was not
        there yet when called."""
        behind = self.run.year < self.run.end and not self.run.error
        self.goto(self.run.end)
        return behind

    def chart(self, kind: type[LiveFigure]) -> LiveFigure | None:
        """This Show's figure of ``kind`` in the language written in (the caller is inside :meth:`drawing`)."""
        figures = self.figures.setdefault(language(), [_new_figure(k, self.run) for k in CHARTS])
        return figures[CHARTS.index(kind)]

    def _static(self, kind: type[LiveFigure]) -> tuple[bytes, str | None]:
        """A chart the same for every run and year, drawn once per language (the caller is inside :meth:`drawing`)."""
        where = (kind.__name__, language())
        if where not in _static:
            _static[where] = chart_svg(self.chart(kind), self.run.year)
        return _static[where]

    def _draw(self, year: int) -> Frame:
        """Draw a frame (the caller is inside :meth:`drawing`)."""
        run = self.run
        if year > run.year or run.current is None:  # the run failed before reaching it
            return Frame(year=year, error=run.error or "the run stopped")
        drawn = [self._static(kind) if kind.static else chart_svg(self.chart(kind), year) for kind in CHARTS]
        return Frame(year=year, charts=tuple(svg for svg, _ in drawn), chart_errors=tuple(error for _, error in drawn))


def chart_svg(figure: LiveFigure | None, year: int) -> tuple[bytes, str | None]:
    """The figure in ``year`` as SVG, or the error that stopped it (shown, never raised)."""
    try:
        if figure is None:
            raise RuntimeError("the chart could not be set up")
        return figure.svg(year), None
    except Exception as e:  # a drawing bug shows as a message in this tab, not as a traceback
        traceback.print_exc()
        return b"", f"{type(e).__name__}: {e}"


def _new_figure(kind: type[LiveFigure], run: DemoRun) -> LiveFigure | None:
    try:
        return kind(run)
    except Exception:
        traceback.print_exc()
        return None
