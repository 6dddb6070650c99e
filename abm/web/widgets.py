"""The page's own widgets: a slider that reports its value once, on release, and the page's browser script.

Why a slider of our own (and not Mesa's ``UserInputs``, i.e. Solara's ``SliderInt`` with ``v_model``):
a ``v_model`` slider sends its value on every pointer move, and ipywidgets keeps one such update
per widget in flight, holding back the rest until the server has answered. A Reset clicked right
after a drag can then reach the server before the slider's last value: the model is built from
an older value than the slider shows, and the two disagree. :func:`LeverSlider` sends its value
once, with Vuetify's ``change`` event (on release, click or key), as an event message: unthrottled
and in order with the button clicks that follow; the server takes it without echoing it back. The
browser script (``page_script.vue``) ends a drag whose button was released outside the window, and
keeps the page's address up to date.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import solara

from abm.web.controls import Slider, value_text


@solara.component
def LeverSlider(spec: Slider, value: Any, on_value: Callable[[Any], None]):
    """A labelled slider with its value written out (with unit and thousands separators) above it."""
    integer = isinstance(spec.step, int)

    def changed(widget: Any, event: str, data: Any) -> None:
        if data is None:
            return
        number = round(float(data)) if integer else round(float(data), 10)
        # The widget takes the value the browser shows without sending it back: an echo would pull a thumb moved
        # on meanwhile (keys held down) back to this value. (ipywidgets' own lock for values from the browser.)
        with widget._lock_property(value=number):
            widget.value = number
        on_value(number)

    with solara.Div(classes=["demo-lever", f"demo-lever-{spec.key}"]):
        with solara.Row(justify="space-between", classes=["demo-lever-head"], gap="6px"):
            solara.Text(spec.label, classes=["demo-lever-label"])
            solara.Text(value_text(spec.key, value), classes=["demo-lever-value"])
        slider = solara.v.Slider(
            value=value,
            min=spec.low,
            max=spec.high,
            step=spec.step,
            dense=True,
            hide_details=True,
            attributes={"aria-label": spec.label, "data-key": spec.key},
            class_=f"demo-slider demo-slider-{spec.key}",
        )
        solara.v.use_event(slider, "change", changed)


@solara.component_vue("page_script.vue")
def PageScript(query: str):
    """Writes ``query`` into the page's address; ends slider drags released outside the window."""
