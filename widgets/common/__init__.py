"""The pieces every app uses.

- :class:`AppContext` / :func:`open_context` — the acting user, language and alert area of an app
  (``widgets.common.actor``).
- :func:`ui_action` / :class:`AlertArea` — one decorator for every callback (``.actions``).
- :class:`Translator` / :class:`LanguageSwitch` — zh_CN / en, re-labelling the app (``.i18n``).
- :class:`PagedGrid` / :class:`Column` / :class:`PageRequest` — one page at a
  time, paged, sorted and filtered in SQL (``.grid``).
- :class:`FilterBar` / :class:`ChoiceFilter` / :class:`FilterValues` (``.filters``).
- :class:`RecordForm` — a form built from the core's field specs, messages next to fields
  (``.forms``).
- :class:`AppShell` / :func:`launch` — the frame of every app and how a notebook shows it
  (``.shell``).
- :func:`classed` / :func:`button` — a widget with its CSS class, a labelled button (``.parts``).
"""

from widgets.common.actions import AlertArea, log_unexpected, ui_action
from widgets.common.actor import AppContext, open_context, resolve_app_actor
from widgets.common.filters import ChoiceFilter, FilterBar, FilterValues
from widgets.common.forms import RecordForm
from widgets.common.grid import Column, PagedGrid, PageRequest
from widgets.common.i18n import LanguageSwitch, Translator
from widgets.common.parts import button, classed
from widgets.common.shell import AppShell, launch

__all__ = [
    "AlertArea",
    "AppContext",
    "AppShell",
    "ChoiceFilter",
    "Column",
    "FilterBar",
    "FilterValues",
    "LanguageSwitch",
    "PageRequest",
    "PagedGrid",
    "RecordForm",
    "Translator",
    "button",
    "classed",
    "launch",
    "log_unexpected",
    "open_context",
    "resolve_app_actor",
    "ui_action",
]
