"""Build and show Analytics: ``from widgets.analytics import app; app.show()``."""

from __future__ import annotations

import ipywidgets as w

from widgets.analytics.model import AnalyticsModel
from widgets.analytics.view import AnalyticsView
from widgets.common.actor import open_context
from widgets.common.shell import launch


def build(username: str | None = None, language: str | None = None) -> AnalyticsView:
    return AnalyticsView(AnalyticsModel(open_context(username, language)))


def show() -> w.Widget:
    return launch(lambda: build().shell)
