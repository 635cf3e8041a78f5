"""A paged grid that stays fast on 100k rows: only one page ever leaves the database.

Paging, sorting and filtering happen in SQL (:func:`ecerp_core.query.paginate` over a ``Select``);
the browser receives one page of display strings and draws it as a plain HTML table (a tiny
anywidget, no pandas). Clicking a row opens its record; clicking a header sorts by it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import anywidget
import ipywidgets as w
import traitlets

from ecerp_core.query import Page
from widgets.common.actions import AlertArea, ui_action
from widgets.common.filters import choice_label
from widgets.common.i18n import Translator

PAGE_SIZES = (25, 50, 100, 200)


@dataclass(frozen=True)
class Column:
    """One grid column: the row key it shows, its catalogue label and its alignment."""

    key: str
    label_key: str
    align: str = "left"
    choice: bool = False  # values are choices, shown by their ``choice.<key>.<value>`` names

    @classmethod
    def for_field(cls, name: str, kind: str = "text") -> Column:
        """A column for a record field; numbers are right-aligned, flags centred."""
        numeric = kind in ("money", "decimal", "int")
        align = "right" if numeric else "center" if kind == "bool" else "left"
        return cls(name, f"field.{name}", align, choice=kind == "choice")


@dataclass(frozen=True)
class PageRequest:
    """Which page the grid wants: where it starts, how long it is, and its sort order."""

    offset: int = 0
    limit: int = 50
    sort: str | None = None
    descending: bool = False


Fetch = Callable[[PageRequest], Page]


def format_cell(value: object, language: str) -> str:
    """How a value reads in a grid cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "✓" if value else "—"
    if isinstance(value, Decimal):
        return f"{value:,f}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


_ESM = r"""
function render({ model, el }) {
  const wrap = document.createElement("div");
  wrap.className = "ecerp-table-wrap";
  el.appendChild(wrap);
  function draw() {
    const cols = model.get("columns"), rows = model.get("rows");
    const sort = model.get("sort"), desc = model.get("descending"), sel = model.get("selected");
    const table = document.createElement("table");
    table.className = "ecerp-table";
    const head = table.createTHead().insertRow();
    for (const c of cols) {
      const th = document.createElement("th");
      th.textContent = c.label + (c.key === sort ? (desc ? " ▼" : " ▲") : "");
      th.style.textAlign = c.align;
      th.title = c.label;
      th.dataset.key = c.key;
      th.addEventListener("click", () => model.send({ event: "sort", column: c.key }));
      head.appendChild(th);
    }
    const body = table.createTBody();
    if (rows.length === 0) {
      const td = body.insertRow().insertCell();
      td.colSpan = Math.max(cols.length, 1);
      td.className = "ecerp-empty";
      td.textContent = model.get("empty_text");
    }
    for (const r of rows) {
      const tr = body.insertRow();
      tr.dataset.key = r.key;
      if (r.key === sel) tr.classList.add("selected");
      if (r.muted) tr.classList.add("muted");
      r.cells.forEach((text, i) => {
        const td = tr.insertCell();
        td.textContent = text;
        td.style.textAlign = (cols[i] || {}).align || "left";
      });
      tr.addEventListener("click", () => model.send({ event: "open", key: r.key }));
    }
    wrap.replaceChildren(table);
  }
  for (const name of ["columns", "rows", "sort", "descending", "selected", "empty_text"]) {
    model.on("change:" + name, draw);
  }
  draw();
}
export default { render };
"""

_CSS = """
.ecerp-table-wrap { overflow-x: auto; border: 1px solid #e3e6ea; border-radius: 6px; background: #fff; }
.ecerp-table { border-collapse: collapse; width: 100%; font-size: 13px; line-height: 1.45; }
.ecerp-table th { position: sticky; top: 0; background: #f5f7f9; color: #44505c; font-weight: 600;
  padding: 8px 9px; border-bottom: 1px solid #e3e6ea; cursor: pointer; white-space: nowrap;
  user-select: none; }
.ecerp-table th:hover { background: #eaeef2; }
.ecerp-table td { padding: 7px 9px; border-bottom: 1px solid #f0f2f4; white-space: nowrap;
  max-width: 240px; overflow: hidden; text-overflow: ellipsis; color: #1f2933; }
.ecerp-table tbody tr { cursor: pointer; }
.ecerp-table tbody tr:hover td { background: #f3f8fd; }
.ecerp-table tbody tr.selected td { background: #e1effc; }
.ecerp-table tbody tr.muted td { color: #9aa5b1; }
.ecerp-table td.ecerp-empty { text-align: center; color: #7b8794; padding: 28px; cursor: default; }
"""


class TableView(anywidget.AnyWidget):
    """One page of rows as an HTML table. Emits ``open(key)`` on a row click, ``sort(column)`` on
    a header click; Python decides what happens (see :class:`PagedGrid`)."""

    _esm = traitlets.Unicode(_ESM).tag(sync=True)
    _css = traitlets.Unicode(_CSS).tag(sync=True)
    columns = traitlets.List(traitlets.Dict()).tag(sync=True)  # [{key, label, align}]
    rows = traitlets.List(traitlets.Dict()).tag(sync=True)  # [{key, cells, muted}]
    sort = traitlets.Unicode("").tag(sync=True)
    descending = traitlets.Bool(False).tag(sync=True)
    selected = traitlets.Unicode("").tag(sync=True)
    empty_text = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._handlers: dict[str, list[Callable[[str], None]]] = {"open": [], "sort": []}
        self.on_msg(self._on_browser_message)

    def on_open(self, callback: Callable[[str], None]) -> None:
        self._handlers["open"].append(callback)

    def on_sort(self, callback: Callable[[str], None]) -> None:
        self._handlers["sort"].append(callback)

    def click_row(self, key: str) -> None:
        """What a click on a row does (tests call this as the browser would)."""
        for callback in self._handlers["open"]:
            callback(key)

    def click_header(self, column: str) -> None:
        """What a click on a column header does."""
        for callback in self._handlers["sort"]:
            callback(column)

    def _on_browser_message(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict):
            return
        if content.get("event") == "open":
            self.click_row(str(content.get("key", "")))
        elif content.get("event") == "sort":
            self.click_header(str(content.get("column", "")))


class PagedGrid(w.VBox):
    """A table of one page plus its pager; rows come from ``fetch(PageRequest) -> Page``.

    key_column: the row field that identifies a record (passed to ``on_open`` callbacks).
    muted_column: a boolean row field; rows where it is false are greyed (e.g. ``active``).
    """

    def __init__(
        self,
        i18n: Translator,
        alerts: AlertArea,
        fetch: Fetch,
        columns: list[Column],
        *,
        key_column: str = "id",
        muted_column: str | None = "active",
        page_size: int = 50,
    ) -> None:
        self.i18n, self.alerts = i18n, alerts
        self.fetch = fetch
        self.columns = list(columns)
        self.key_column = key_column
        self.muted_column = muted_column
        self.request = PageRequest(limit=page_size)
        self.page = Page([], 0, 0, page_size)
        self._open_callbacks: list[Callable[[str], None]] = []

        self.table = TableView()
        self.table.on_open(self._open)
        self.table.on_sort(self.sort_by)
        self.previous_button = w.Button(icon="chevron-left", layout=w.Layout(width="40px"))
        self.next_button = w.Button(icon="chevron-right", layout=w.Layout(width="40px"))
        self.previous_button.add_class("ecerp-pager-previous")
        self.next_button.add_class("ecerp-pager-next")
        i18n.bind(self.previous_button, "tooltip", "common.previous")
        i18n.bind(self.next_button, "tooltip", "common.next")
        self.previous_button.on_click(self.previous_page)
        self.next_button.on_click(self.next_page)
        self.page_label = w.HTML()
        self.page_label.add_class("ecerp-page-label")
        self.page_size = w.Dropdown(
            options=[(str(n), n) for n in PAGE_SIZES], value=page_size, layout=w.Layout(width="76px")
        )
        self.page_size_label = i18n.bind(w.Label(), "value", "app.grid.page_size")
        self.page_size.observe(self._change_page_size, "value")
        pager = w.HBox(
            [
                self.page_label,
                w.HBox(layout=w.Layout(flex="1")),
                self.page_size_label,
                self.page_size,
                self.previous_button,
                self.next_button,
            ]
        )
        pager.add_class("ecerp-pager")
        super().__init__([self.table, pager])
        self.add_class("ecerp-grid")
        i18n.on_change(lambda _lang: self._draw())

    # --- what people do -------------------------------------------------------------------------
    def on_open(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(key)`` when a row is clicked."""
        self._open_callbacks.append(callback)

    @ui_action
    def refresh(self, *, reset: bool = False) -> None:
        """Fetch the current page again (from the first page when ``reset``)."""
        if reset:
            self.request = PageRequest(0, self.request.limit, self.request.sort, self.request.descending)
        page = self.fetch(self.request)
        if page.rows == [] and page.total and self.request.offset >= page.total:
            # The page fell off the end (rows were filtered away): show the last one instead.
            last = (page.page_count - 1) * page.limit
            self.request = PageRequest(last, self.request.limit, self.request.sort, self.request.descending)
            page = self.fetch(self.request)
        self.page = page
        self._draw()

    @ui_action
    def next_page(self, _button=None) -> None:
        if self.request.offset + self.request.limit < self.page.total:
            self._go(self.request.offset + self.request.limit)

    @ui_action
    def previous_page(self, _button=None) -> None:
        if self.request.offset > 0:
            self._go(max(0, self.request.offset - self.request.limit))

    @ui_action
    def sort_by(self, column: str) -> None:
        """Sort by ``column``; the same column again reverses the order."""
        if column not in {c.key for c in self.columns}:
            return
        descending = not self.request.descending if self.request.sort == column else False
        self.request = PageRequest(0, self.request.limit, column, descending)
        self.page = self.fetch(self.request)
        self._draw()

    def select(self, key: str | None) -> None:
        """Highlight the row of ``key`` (or none)."""
        self.table.selected = key or ""

    @property
    def page_number(self) -> int:
        return self.request.offset // self.request.limit + 1

    # --- internals ------------------------------------------------------------------------------
    def _go(self, offset: int) -> None:
        self.request = PageRequest(offset, self.request.limit, self.request.sort, self.request.descending)
        self.page = self.fetch(self.request)
        self._draw()

    @ui_action
    def _change_page_size(self, change) -> None:
        self.request = PageRequest(0, int(change["new"]), self.request.sort, self.request.descending)
        self.page = self.fetch(self.request)
        self._draw()

    @ui_action
    def _open(self, key: str) -> None:
        self.select(key)
        for callback in self._open_callbacks:
            callback(key)

    def set_columns(self, columns: list[Column], *, key_column: str | None = None) -> None:
        """Show other columns (e.g. another kind of record); the sort order starts afresh."""
        self.columns = list(columns)
        self.key_column = key_column or self.key_column
        self.request = PageRequest(0, self.request.limit)

    def _draw(self) -> None:
        lang = self.i18n.language
        self.table.columns = [
            {"key": c.key, "label": self.i18n.t(c.label_key), "align": c.align} for c in self.columns
        ]
        self.table.rows = [
            {
                "key": str(row.get(self.key_column, "")),
                "cells": [
                    choice_label(c.key, row.get(c.key), lang)
                    if c.choice and row.get(c.key)
                    else format_cell(row.get(c.key), lang)
                    for c in self.columns
                ],
                "muted": bool(self.muted_column and row.get(self.muted_column) is False),
            }
            for row in self.page.rows
        ]
        self.table.sort = self.request.sort or ""
        self.table.descending = self.request.descending
        self.table.empty_text = self.i18n.t("common.no_rows")
        self.page_label.value = self.i18n.t(
            "common.page", page=self.page_number, pages=self.page.page_count, total=f"{self.page.total:,}"
        )
        self.previous_button.disabled = self.request.offset <= 0
        self.next_button.disabled = self.request.offset + self.request.limit >= self.page.total
