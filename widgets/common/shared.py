"""The layouts and styles several widgets share.

Every ipywidget comes with a ``Layout`` model of its own, and most with a style model, even when
they hold nothing: on the Order Desk they were more than half of the page's widget models, each
made in the kernel, sent and built in the browser when the page opens. A widget whose layout or
style never changes after it is made can show a shared one instead (ipywidgets lets several
widgets show the same layout or style): :func:`fixed_layout`, :func:`plain_style`, :func:`fixed`.
A shared one refuses to change (that would change every widget showing it), so a widget that is
later shown, hidden or resized keeps a ``w.Layout()`` of its own.
"""

from __future__ import annotations

from typing import TypeVar

import ipywidgets as w

W = TypeVar("W", bound=w.DOMWidget)


class _Shared:
    """A layout or style that several widgets show: it refuses to change once made."""

    _sealed = False

    def __setattr__(self, name: str, value) -> None:
        if self._sealed and name in self.keys:
            raise AttributeError(
                f"{type(self).__name__} is shared by several widgets; a widget whose {name} "
                "changes needs a layout or style of its own"
            )
        super().__setattr__(name, value)


_KINDS: dict[type, type] = {}
_SHARED: dict[tuple, w.Widget] = {}


def _shared(kind: type[w.Widget], settings: dict[str, str]) -> w.Widget:
    key = (kind, tuple(sorted(settings.items())))
    found = _SHARED.get(key)
    if found is None or found.comm is None:  # first use, or closed (a test's widgets)
        name = f"Shared{kind.__name__}"
        sealed = _KINDS.setdefault(kind, type(name, (_Shared, kind), {"__module__": __name__}))
        found = _SHARED[key] = sealed(**settings)
        found._sealed = True
    return found


def fixed_layout(**css: str | None) -> w.Layout:
    """The one layout with the CSS properties ``css`` (None: not set) that the widgets laid out
    so, which never change it, share."""
    return _shared(w.Layout, {name: value for name, value in css.items() if value is not None})


def plain_style(kind: type[w.DOMWidget], **settings: str) -> w.Widget:
    """The one style of ``kind`` widgets (``w.HTML``, ``w.Button``…) with ``settings`` (none: the
    default style) that the ``kind`` widgets whose style never changes share."""
    return _shared(kind.class_traits()["style"].klass, settings)


def fixed(kind: type[W], **kwargs) -> W:
    """A ``kind`` widget made with ``kwargs`` whose layout and style never change: unless given,
    it shows the shared default layout and the shared plain style of its kind."""
    if "layout" not in kwargs:
        kwargs["layout"] = fixed_layout()
    if "style" not in kwargs and "style" in kind.class_traits():
        kwargs["style"] = plain_style(kind)
    return kind(**kwargs)
