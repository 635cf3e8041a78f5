"""Small helpers for building screens: a widget with its CSS class, a labelled button.

The CSS class is how an app's style sheet and the browser tests find a widget, so every widget a
person acts on gets one.
"""

from __future__ import annotations

from typing import TypeVar

import ipywidgets as w

from widgets.common.i18n import Translator
from widgets.common.shared import fixed_layout, plain_style

W = TypeVar("W", bound=w.DOMWidget)


def classed(widget: W, css: str) -> W:
    """``widget`` with the CSS class ``css`` added."""
    widget.add_class(css)
    return widget


GAPS = (4, 6, 8, 12, 16)


def spaced(box: W, gap: int) -> W:
    """``box`` with ``gap`` pixels between its children (one of :data:`GAPS`): a CSS class of the app's
    style sheet, since ipywidgets' ``Layout`` has no ``gap``."""
    if gap not in GAPS:
        raise ValueError(gap)
    return classed(box, f"ecerp-gap-{gap}")


def button(
    i18n: Translator,
    key: str,
    css: str,
    *,
    icon: str = "",
    style: str = "",
    width: str | None = None,
    fixed: bool = False,
) -> w.Button:
    """A button labelled by the catalogue key ``key`` in the app's language, with the class ``css``.

    ``width`` (e.g. ``"auto"``) overrides the theme's fixed button width. ``fixed``: the button is
    never hidden or resized, so it shows a shared layout (:func:`fixed_layout`). Buttons share
    their (plain) style: none changes it.
    """
    layout = fixed_layout(width=width) if fixed else w.Layout(width=width)
    made = w.Button(icon=icon, button_style=style, layout=layout, style=plain_style(w.Button))
    return classed(i18n.bind(made, "description", key), css)
