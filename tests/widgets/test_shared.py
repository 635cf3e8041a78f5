"""Widgets whose layout or style never changes share one (fewer models for a page to load)."""

from __future__ import annotations

import ipywidgets as w
import pytest
from ipywidgets.widgets.widget import _instances

from widgets.common.shared import fixed, fixed_layout, plain_style
from widgets.order_desk import app as order_desk

ORDER_DESK_MODELS = 120
"""The widget models the Order Desk's first screen may send (217 before layouts were shared)."""


def test_widgets_laid_out_alike_share_one_layout_that_refuses_to_change():
    first, second = fixed(w.HTML, value="a"), fixed(w.HTML, value="b")
    assert first.layout is second.layout is fixed_layout()
    assert first.style is second.style is plain_style(w.HTML)
    narrow = fixed(w.Text, layout=fixed_layout(width="90px", height=None))
    assert narrow.layout is fixed_layout(width="90px") is not first.layout
    assert narrow.style is plain_style(w.Text) is not first.style
    with pytest.raises(AttributeError, match="shared by several widgets"):
        narrow.layout.width = "100px"
    with pytest.raises(AttributeError, match="shared by several widgets"):
        first.style.font_size = "20px"
    assert plain_style(w.ToggleButtons, button_width="auto").button_width == "auto"


def test_a_closed_shared_layout_is_made_again():
    layout = fixed_layout(width="33px")
    layout.close()
    again = fixed_layout(width="33px")
    assert again is not layout and again.comm is not None and again.width == "33px"


def test_a_widget_that_is_shown_and_hidden_keeps_a_layout_of_its_own():
    box = w.VBox(layout=w.Layout())
    box.layout.display = "none"
    assert fixed_layout().display is None


def test_the_order_desk_opens_with_few_widget_models(db):
    before = set(_instances)
    view = order_desk.build("admin", "zh_CN")
    made = [model for key, model in _instances.items() if key not in before]
    assert len(made) <= ORDER_DESK_MODELS
    view.shell.language_switch.value = "en"  # relabelling changes no shared layout or style
    for _label, queue in view.queue_tabs.options:  # each queue shows its actions and inputs
        view.queue_tabs.value = queue
        assert view.alerts.kind != "error", view.alerts.text
