"""Build and show Inventory: ``from widgets.inventory import app; app.show()``."""

from __future__ import annotations

import ipywidgets as w

from widgets.common.actor import open_context
from widgets.common.shell import launch
from widgets.inventory.model import InventoryModel
from widgets.inventory.view import InventoryView


def build(username: str | None = None, language: str | None = None) -> InventoryView:
    return InventoryView(InventoryModel(open_context(username, language)))


def show() -> w.Widget:
    return launch(lambda: build().shell)
