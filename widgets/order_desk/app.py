"""Build and show the Order Desk: ``from widgets.order_desk import app; app.show()``."""

from __future__ import annotations

import ipywidgets as w

from widgets.common.actor import open_context
from widgets.common.shell import launch
from widgets.order_desk.model import OrderDeskModel
from widgets.order_desk.view import OrderDeskView


def build(username: str | None = None, language: str | None = None) -> OrderDeskView:
    """The Order Desk for ``username`` (default: the configured user or the first admin)."""
    return OrderDeskView(OrderDeskModel(open_context(username, language)))


def show() -> w.Widget:
    """Display the Order Desk (the notebook's one cell)."""
    return launch(lambda: build().shell)
