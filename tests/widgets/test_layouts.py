"""Every app builds without an argument ipywidgets does not know (``Layout(gap=...)`` was one: it was
dropped with a warning, and cards and rows touched; spacing is a CSS class, ``parts.spaced``)."""

from __future__ import annotations

import importlib
import warnings

import ipywidgets as w
import pytest

from widgets.common.parts import spaced

APPS = ("home", "base_data", "order_desk", "inventory", "stocktake", "finance_close", "analytics")


@pytest.mark.parametrize("name", APPS)
def test_an_app_passes_no_unknown_layout_arguments(db, name):
    app = importlib.import_module(f"widgets.{name}.app")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Passing unrecognized arguments")
        view = app.build("admin", "zh_CN")
        view.shell.language_switch.value = "en"
    assert view.shell is not None


def test_unknown_layout_arguments_warn_and_spacing_is_a_class():
    with pytest.warns(DeprecationWarning, match="Passing unrecognized arguments"):
        w.Layout(gap="8px")
    assert "ecerp-gap-8" in spaced(w.HBox(), 8)._dom_classes
    with pytest.raises(ValueError):
        spaced(w.HBox(), 7)
