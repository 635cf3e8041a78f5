"""Build and show Customers: ``from widgets.customers import app; app.show()``."""

from __future__ import annotations

import ipywidgets as w

from widgets.common.actor import open_context
from widgets.common.shell import launch
from widgets.customers.model import CustomersModel
from widgets.customers.view import CustomersView


def build(username: str | None = None, language: str | None = None) -> CustomersView:
    return CustomersView(CustomersModel(open_context(username, language)))


def show() -> w.Widget:
    return launch(lambda: build().shell)
