"""Build and show Base Data: ``from widgets.base_data import app; app.show()``."""

from __future__ import annotations

import ipywidgets as w

from widgets.base_data.model import BaseDataModel
from widgets.base_data.view import BaseDataView
from widgets.common.actor import open_context
from widgets.common.shell import launch


def build(username: str | None = None, language: str | None = None) -> BaseDataView:
    """Base Data for ``username`` (default: the configured user or the first admin)."""
    return BaseDataView(BaseDataModel(open_context(username, language)))


def show() -> w.Widget:
    """Display Base Data (the notebook's one cell)."""
    return launch(lambda: build().shell)
