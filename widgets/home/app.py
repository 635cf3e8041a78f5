"""Build and show the home page: ``from widgets.home import app; app.show()``."""

from __future__ import annotations

import ipywidgets as w

from widgets.common.actor import open_context
from widgets.common.shell import launch
from widgets.home.model import HomeModel
from widgets.home.view import HomeView


def build(username: str | None = None, language: str | None = None) -> HomeView:
    """The home page for ``username`` (default: the configured user or the first admin)."""
    return HomeView(HomeModel(open_context(username, language)))


def show() -> w.Widget:
    """Display the home page (the notebook's one cell)."""
    return launch(lambda: build().shell)
