"""Build and show Finance Close: ``from widgets.finance_close import app; app.show()``."""

from __future__ import annotations

import ipywidgets as w

from widgets.common.actor import open_context
from widgets.common.shell import launch
from widgets.finance_close.model import FinanceCloseModel
from widgets.finance_close.view import FinanceCloseView


def build(username: str | None = None, language: str | None = None) -> FinanceCloseView:
    """Finance Close for ``username`` (default: the configured user or the first admin)."""
    return FinanceCloseView(FinanceCloseModel(open_context(username, language)))


def show() -> w.Widget:
    """Display Finance Close (the notebook's one cell)."""
    return launch(lambda: build().shell)
