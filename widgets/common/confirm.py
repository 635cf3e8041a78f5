"""A confirm bar: the first press of an action that moves money says what it will do, with the
amounts, and the action runs only on Confirm."""

from __future__ import annotations

import html
from collections.abc import Callable

import ipywidgets as w

from widgets.common.actions import AlertArea, ui_action
from widgets.common.i18n import Translator
from widgets.common.parts import button, classed, spaced


class ConfirmBar:
    """``box`` (hidden until :meth:`ask`): the question, Confirm and Cancel. ``css`` names its parts
    (``{css}-text``, ``{css}-ok``, ``{css}-cancel``) for the style sheet and the browser tests."""

    def __init__(self, i18n: Translator, alerts: AlertArea, css: str) -> None:
        self.i18n, self.alerts = i18n, alerts
        self.text = classed(w.HTML(), f"{css}-text")
        self.confirm_button = button(i18n, "orders.confirm", f"{css}-ok", icon="check", style="danger")
        self.cancel_button = button(i18n, "common.cancel", f"{css}-cancel")
        self.box = spaced(
            classed(
                w.HBox(
                    [self.text, self.confirm_button, self.cancel_button],
                    layout=w.Layout(display="none", align_items="center", flex_flow="row wrap"),
                ),
                "ecerp-confirm-bar",
            ),
            8,
        )
        self.box.add_class(css)
        self.pending: Callable[[], None] | None = None
        self.confirm_button.on_click(self.confirm)
        self.cancel_button.on_click(self.cancel)

    def ask(self, question: str, action: Callable[[], None]) -> None:
        """Show ``question`` (plain text) and run ``action`` when Confirm is pressed."""
        self.pending = action
        self.text.value = html.escape(question)
        self.box.layout.display = "flex"

    @property
    def asking(self) -> bool:
        return self.pending is not None

    @ui_action
    def confirm(self, _button=None) -> None:
        action = self.pending
        self.cancel()
        if action is not None:
            action()

    def cancel(self, _button=None) -> None:
        self.pending = None
        self.box.layout.display = "none"
