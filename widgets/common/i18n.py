"""The language of one running app, and the switch that changes it.

Each app instance holds a :class:`Translator`. Widgets are *bound* to catalogue keys once, when
they are built; switching the language re-labels every bound widget and tells the listeners (the
grid re-draws its header, a form re-words its messages). Nothing is translated at import time.

The language is passed explicitly to :func:`ecerp_core.i18n.t` rather than kept in the core's
context variable: widget callbacks run in other asyncio contexts than the cell that built the app.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import parse_qs

import ipywidgets as w

from ecerp_core.config import LANGUAGES, load_settings
from ecerp_core.i18n import t
from widgets.common.shared import fixed_layout, plain_style

Label = str | Callable[[str], object]
"""A catalogue key, or a function of the language that returns the value to show."""

LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}  # each in its own language, never translated


def default_language() -> str:
    """``?lang=en`` in the page address (Voila passes it to the kernel), else the settings."""
    query = parse_qs(os.environ.get("QUERY_STRING", ""))
    chosen = (query.get("lang") or [""])[0]
    return chosen if chosen in LANGUAGES else load_settings().language


class Translator:
    """The chosen language of one app, and the widgets to re-label when it changes.

    >>> tr = Translator("en")
    >>> button = tr.bind(w.Button(), "description", "common.save")
    >>> tr.set_language("zh_CN"); button.description
    '保存'
    """

    def __init__(self, language: str | None = None) -> None:
        self.language = language or default_language()
        self._bindings: list[tuple[object, str, Label, dict]] = []
        self._listeners: list[Callable[[str], None]] = []

    def t(self, key: str, /, **params: object) -> str:
        """Translate ``key`` into the app's language."""
        return t(key, self.language, **params)

    def bind(self, widget, attr: str, label: Label, /, **params: object):
        """Set ``widget.attr`` from ``label`` now and again whenever the language changes."""
        self._bindings.append((widget, attr, label, params))
        self._apply(widget, attr, label, params)
        return widget

    def forget(self, *widgets) -> None:
        """Stop re-labelling ``widgets`` (they are being replaced)."""
        gone = {id(widget) for widget in widgets}
        self._bindings = [b for b in self._bindings if id(b[0]) not in gone]

    def on_change(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(language)`` after every language switch."""
        self._listeners.append(callback)

    def remove_listener(self, callback: Callable[[str], None]) -> None:
        if callback in self._listeners:
            self._listeners.remove(callback)

    def set_language(self, language: str) -> None:
        """Switch the whole app to ``language``."""
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r}")
        if language == self.language:
            return
        self.language = language
        for widget, attr, label, params in self._bindings:
            self._apply(widget, attr, label, params)
        for callback in self._listeners:
            callback(language)

    def _apply(self, widget, attr: str, label: Label, params: dict) -> None:
        value = label(self.language) if callable(label) else self.t(label, **params)
        if attr == "options":
            relabel_options(widget, value)
        else:
            setattr(widget, attr, value)


def relabel_options(widget: w.widgets.widget_selection._Selection, options: list[tuple[str, object]]) -> None:
    """Give a selection widget new ``(label, value)`` options.

    When only the labels change (a language switch) the selection is kept and no value change is
    signalled: assigning ``options`` would re-select the first option and fire the widget's
    observers twice, as if the user had chosen something.
    """
    options = tuple(options)
    values = tuple(v for _, v in options)
    if widget.options and values == tuple(widget._options_values):
        labels = tuple(label for label, _ in options)
        widget._options_full = options
        widget._trait_values["options"] = options  # keep ``.options`` truthful, quietly
        widget.set_trait("_options_labels", labels)
        if widget.index is not None:
            widget.set_trait("label", labels[widget.index])
        return
    current = widget.value
    widget.options = options
    if current is not None and current in values:
        widget.value = current


class LanguageSwitch(w.ToggleButtons):
    """The zh_CN / en switch in an app's header; switching re-labels the whole app."""

    def __init__(self, translator: Translator) -> None:
        super().__init__(
            options=[(LANGUAGE_NAMES[code], code) for code in LANGUAGES],
            value=translator.language,
            style=plain_style(w.ToggleButtons, button_width="72px"),
            layout=fixed_layout(),
        )
        self.translator = translator
        translator.bind(self, "tooltips", lambda lang: [t("common.language", lang)] * len(LANGUAGES))
        self.add_class("ecerp-language")
        self.observe(self._switch, "value")

    def _switch(self, change) -> None:
        self.translator.set_language(change["new"])
