"""Build and show Stocktake: ``from widgets.stocktake import app; app.show()``."""

from __future__ import annotations

import ipywidgets as w

from widgets.common.actor import open_context
from widgets.common.shell import launch
from widgets.stocktake.model import StocktakeModel
from widgets.stocktake.view import StocktakeView


def build(username: str | None = None, language: str | None = None) -> StocktakeView:
    return StocktakeView(StocktakeModel(open_context(username, language)))


def show() -> w.Widget:
    return launch(lambda: build().shell)
