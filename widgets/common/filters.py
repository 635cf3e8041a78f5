"""The filter bar above a grid: search text, active / inactive / all, and choice filters.

The bar only gathers values; the model turns them into a ``Select`` (in the core's list functions)
so filtering happens in the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import ipywidgets as w

from ecerp_core.i18n import t, t_or
from widgets.common.i18n import Translator

STATUS_VALUES = {"active": True, "inactive": False, "all": None}


@dataclass(frozen=True)
class ChoiceFilter:
    """An exact-match filter on one column; option labels are ``choice.<name>.<value>`` keys."""

    name: str
    choices: tuple[str, ...]

    def options(self, language: str) -> list[tuple[str, str]]:
        return [(t("common.all", language), "")] + [
            (choice_label(self.name, c, language), c) for c in self.choices
        ]


def choice_label(field: str, value: str, language: str) -> str:
    """The translated name of a choice value, or the value itself when the catalogue has none."""
    return t_or(f"choice.{field}.{value}", value, language)


@dataclass(frozen=True)
class FilterValues:
    """What the bar says: search text, active flag (None: all) and exact filters."""

    search: str = ""
    active: bool | None = True
    filters: dict | None = None


class FilterBar(w.HBox):
    """Search box, status selector and optional choice filters; calls back on every change."""

    def __init__(self, i18n: Translator, choices: Sequence[ChoiceFilter] = ()) -> None:
        self.i18n = i18n
        self._callbacks: list[Callable[[FilterValues], None]] = []
        self.search = w.Text(continuous_update=False, layout=w.Layout(flex="1 1 260px", min_width="180px"))
        self.search.add_class("ecerp-search")
        i18n.bind(self.search, "placeholder", "app.filter.search_placeholder")
        self.search_button = w.Button(icon="search", layout=w.Layout(width="auto"))
        self.search_button.add_class("ecerp-search-button")
        i18n.bind(self.search_button, "description", "common.search")
        self.status = w.Dropdown(layout=w.Layout(width="120px"))
        i18n.bind(
            self.status,
            "options",
            lambda lang: [
                (t("app.filter.active", lang), "active"),
                (t("app.filter.inactive", lang), "inactive"),
                (t("common.all", lang), "all"),
            ],
        )
        self.status.value = "active"
        self.status.add_class("ecerp-status-filter")
        self.choice_widgets: dict[str, w.Dropdown] = {}
        self.clear_button = w.Button(icon="times", layout=w.Layout(width="auto"))
        i18n.bind(self.clear_button, "description", "common.clear")
        super().__init__()
        self.set_choices(choices)
        self.search.observe(self._changed, "value")
        self.status.observe(self._changed, "value")
        self.search_button.on_click(self._changed)
        self.clear_button.on_click(self.clear)
        self.add_class("ecerp-filter-bar")

    def set_choices(self, choices: Sequence[ChoiceFilter]) -> None:
        """Show another set of choice filters (e.g. when the kind of record changes)."""
        old = list(self.choice_widgets.values())
        self.i18n.forget(*old)
        for dropdown in old:
            dropdown.close()
        self.choice_widgets = {}
        for spec in choices:
            dropdown = w.Dropdown(layout=w.Layout(width="140px"))
            self.i18n.bind(dropdown, "options", spec.options)
            self.i18n.bind(dropdown, "description", f"field.{spec.name}")
            dropdown.style = {"description_width": "initial"}
            dropdown.observe(self._changed, "value")
            self.choice_widgets[spec.name] = dropdown
        self.children = [
            self.search,
            self.search_button,
            self.status,
            *self.choice_widgets.values(),
            self.clear_button,
        ]

    def on_change(self, callback: Callable[[FilterValues], None]) -> None:
        self._callbacks.append(callback)

    @property
    def values(self) -> FilterValues:
        filters = {name: d.value for name, d in self.choice_widgets.items() if d.value}
        return FilterValues(self.search.value.strip(), STATUS_VALUES[self.status.value], filters)

    def clear(self, _button=None) -> None:
        """Back to "active, no search"; one call back, not one per widget."""
        quiet = self._callbacks
        self._callbacks = []
        try:
            self.search.value = ""
            self.status.value = "active"
            for dropdown in self.choice_widgets.values():
                dropdown.value = ""
        finally:
            self._callbacks = quiet
        self._changed()

    def _changed(self, _change=None) -> None:
        values = self.values
        for callback in self._callbacks:
            callback(values)
