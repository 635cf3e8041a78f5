"""Build and show the Forecast app: ``from widgets.forecast import app; app.show()``."""

from __future__ import annotations

import ipywidgets as w

from widgets.common.actor import open_context
from widgets.common.shell import launch
from widgets.forecast.model import ForecastModel
from widgets.forecast.view import ForecastView


def build(username: str | None = None, language: str | None = None) -> ForecastView:
    return ForecastView(ForecastModel(open_context(username, language)))


def show() -> w.Widget:
    return launch(lambda: build().shell)
