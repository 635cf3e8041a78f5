"""A paged grid that stays fast on 100k rows: only one page ever leaves the database.

Paging, sorting and filtering happen in SQL (:func:`ecerp_core.query.paginate` over a ``Select``);
the browser receives one page of display strings and draws it as a plain HTML table (a tiny
anywidget, no pandas). Clicking a row opens its record; clicking a header sorts by it.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import anywidget
import ipywidgets as w
import traitlets

from ecerp_core.query import MAX_PAGE, Page
from ecerp_core.sheets import write_table_xlsx
from widgets.common.actions import AlertArea, ui_action
from widgets.common.filters import choice_label
from widgets.common.i18n import Translator
from widgets.common.parts import button
from widgets.common.shared import fixed, fixed_layout

PAGE_SIZES = (25, 50, 100, 200)
EXPORT_LIMIT = 50_000  # rows an Excel export of a grid holds at most
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBERS = (Decimal, int, float)


@dataclass(frozen=True)
class Column:
    """One grid column: the row key it shows, its catalogue label and its alignment."""

    key: str
    label_key: str
    align: str = "left"
    choice: bool = False  # values are choices, shown by their ``choice.<key>.<value>`` names
    tooltip: str | None = None  # a row field shown when the pointer rests on the cell (e.g. a code)

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
  function tick(keys, on) {
    const now = new Set(model.get("checked"));
    for (const k of keys) { if (on) now.add(k); else now.delete(k); }
    model.set("checked", [...now]);
    model.save_changes();
  }
  function box(checked, keys, label) {
    const input = document.createElement("input");
    input.type = "checkbox";
    input.checked = checked;
    input.title = label;
    input.addEventListener("click", (ev) => { ev.stopPropagation(); tick(keys, input.checked); });
    return input;
  }
  function draw() {
    const cols = model.get("columns"), rows = model.get("rows");
    const sort = model.get("sort"), desc = model.get("descending"), sel = model.get("selected");
    const checkable = model.get("checkable"), checked = new Set(model.get("checked"));
    const table = document.createElement("table");
    table.className = "ecerp-table";
    const head = table.createTHead().insertRow();
    if (checkable) {
      const th = document.createElement("th");
      th.className = "ecerp-check";
      const keys = rows.map((r) => r.key);
      const all = keys.length > 0 && keys.every((k) => checked.has(k));
      th.appendChild(box(all, keys, model.get("check_all_text")));
      head.appendChild(th);
    }
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
      if (checkable) {
        const td = tr.insertCell();
        td.className = "ecerp-check";
        td.appendChild(box(checked.has(r.key), [r.key], ""));
        td.addEventListener("click", (ev) => ev.stopPropagation());
        if (checked.has(r.key)) tr.classList.add("checked");
      }
      r.cells.forEach((text, i) => {
        const td = tr.insertCell();
        td.textContent = text;
        td.style.textAlign = (cols[i] || {}).align || "left";
        if (r.titles && r.titles[i]) td.title = r.titles[i];
      });
      tr.addEventListener("click", () => model.send({ event: "open", key: r.key }));
    }
    wrap.replaceChildren(table);
  }
  for (const name of ["columns", "rows", "sort", "descending", "selected", "empty_text", "checkable",
                      "checked"]) {
    model.on("change:" + name, draw);
  }
  model.on("msg:custom", (msg) => {
    if (!msg || msg.event !== "download") return;
    const bytes = Uint8Array.from(atob(msg.data), (ch) => ch.charCodeAt(0));
    const url = URL.createObjectURL(new Blob([bytes], { type: msg.mime }));
    const a = document.createElement("a");
    a.href = url;
    a.download = msg.name;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
  });
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
.ecerp-table th.ecerp-check, .ecerp-table td.ecerp-check { width: 28px; padding: 0 4px 0 9px;
  text-align: center; cursor: default; }
.ecerp-table input[type=checkbox] { cursor: pointer; margin: 0; vertical-align: middle; }
.ecerp-table tbody tr.checked td { background: #fff8e6; }
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
    checkable = traitlets.Bool(False).tag(sync=True)  # a checkbox on each row (and one for the page)
    checked = traitlets.List(traitlets.Unicode()).tag(sync=True)  # keys of the ticked rows
    check_all_text = traitlets.Unicode("").tag(sync=True)

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

    def tick(self, keys: list[str], on: bool = True) -> None:
        """What ticking (or unticking) rows' checkboxes does (tests call this as the browser would)."""
        now = [k for k in self.checked if on or k not in keys]
        self.checked = now + [k for k in keys if on and k not in now]

    def download(self, name: str, mime: str, data: bytes) -> None:
        """Make the browser save ``data`` as the file ``name``."""
        self.send({"event": "download", "name": name, "mime": mime, "data": base64.b64encode(data).decode()})

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
    checkable: a checkbox on each row to pick rows (:attr:`checked_keys`) for a batch action.
    export_name: the file name (without ``.xlsx``) of the Excel export of every filtered row; the
    download button is on the pager (None: no export).
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
        checkable: bool = False,
        export_name: str | None = "export",
    ) -> None:
        self.i18n, self.alerts = i18n, alerts
        self.export_name = export_name
        self.fetch = fetch
        self.columns = list(columns)
        self.key_column = key_column
        self.muted_column = muted_column
        self.request = PageRequest(limit=page_size)
        self.page = Page([], 0, 0, page_size)
        self._open_callbacks: list[Callable[[str], None]] = []

        self.table = TableView(checkable=checkable, layout=fixed_layout())
        self.table.observe(lambda _change: self._draw_label(), "checked")
        self.table.on_open(self._open)
        self.table.on_sort(self.sort_by)
        pager = self._build_pager(i18n, page_size, export_name)
        super().__init__([self.table, pager])
        self.add_class("ecerp-grid")
        i18n.on_change(lambda _lang: self._draw())

    def _build_pager(self, i18n: Translator, page_size: int, export_name: str | None) -> w.HBox:
        """Page n of m, the Excel export, the page size and the previous/next buttons."""
        self.previous_button = fixed(w.Button, icon="chevron-left", layout=fixed_layout(width="40px"))
        self.next_button = fixed(w.Button, icon="chevron-right", layout=fixed_layout(width="40px"))
        self.previous_button.add_class("ecerp-pager-previous")
        self.next_button.add_class("ecerp-pager-next")
        i18n.bind(self.previous_button, "tooltip", "common.previous")
        i18n.bind(self.next_button, "tooltip", "common.next")
        self.previous_button.on_click(self.previous_page)
        self.next_button.on_click(self.next_page)
        self.page_label = fixed(w.HTML, layout=fixed_layout(flex="1"))  # the rest to the right
        self.page_label.add_class("ecerp-page-label")
        self.page_size = fixed(
            w.Dropdown,
            options=[(str(n), n) for n in PAGE_SIZES],
            value=page_size,
            layout=fixed_layout(width="76px"),
        )
        self.page_size_label = i18n.bind(fixed(w.Label), "value", "app.grid.page_size")
        self.page_size.observe(self._change_page_size, "value")
        self.export_button = button(
            i18n, "app.grid.export", "ecerp-grid-export", icon="download", width="auto"
        )
        self.export_button.on_click(self.export)
        self.export_button.layout.display = None if export_name else "none"
        pager = fixed(
            w.HBox,
            children=[
                self.page_label,
                self.export_button,
                self.page_size_label,
                self.page_size,
                self.previous_button,
                self.next_button,
            ],
        )
        pager.add_class("ecerp-pager")
        return pager

    # --- what people do -------------------------------------------------------------------------
    def on_open(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(key)`` when a row is clicked."""
        self._open_callbacks.append(callback)

    @property
    def checked_keys(self) -> list[str]:
        """The keys of the ticked rows (on any page), in the order they were ticked."""
        return list(self.table.checked)

    def clear_checks(self) -> None:
        self.table.checked = []

    @ui_action
    def export(self, _button=None) -> bytes:
        """Every row the filters let through (up to :data:`EXPORT_LIMIT`), in the grid's sort order,
        as an Excel file the browser downloads: the columns' headers in the user's language, values
        as shown (statuses translated, numbers as numbers), formula-looking text escaped."""
        rows: list[dict] = []
        while len(rows) < EXPORT_LIMIT:
            request = PageRequest(len(rows), MAX_PAGE, self.request.sort, self.request.descending)
            page = self.fetch(request)
            rows += page.rows
            if not page.rows or len(rows) >= page.total:
                break
        lang = self.i18n.language
        out = io.BytesIO()
        write_table_xlsx(
            [
                {c.key: _export_cell(c, row.get(c.key), lang) for c in self.columns}
                for row in rows[:EXPORT_LIMIT]
            ],
            [c.key for c in self.columns],
            out,
            title=self.i18n.t("app.grid.export_title"),
            column_titles={c.key: self.i18n.t(c.label_key) for c in self.columns},
            subtitle=self.i18n.t("app.grid.export_rows", count=f"{min(len(rows), EXPORT_LIMIT):,}"),
        )
        data = out.getvalue()
        self.table.download(f"{self.export_name or 'export'}.xlsx", XLSX, data)
        return data

    @ui_action
    def refresh(self, *, reset: bool = False) -> None:
        """Fetch the current page again (from the first page, with no row ticked, when ``reset``)."""
        if reset:
            self.clear_checks()
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

    def _align(self, column: Column) -> str:
        """A column's alignment, header and cells alike: numbers to the right even where the column
        was declared without saying so."""
        values = [row.get(column.key) for row in self.page.rows if row.get(column.key) is not None]
        numeric = values and all(isinstance(v, NUMBERS) and not isinstance(v, bool) for v in values)
        return "right" if column.align == "left" and numeric else column.align

    def _draw(self) -> None:
        lang = self.i18n.language
        self.table.columns = [
            {"key": c.key, "label": self.i18n.t(c.label_key), "align": self._align(c)} for c in self.columns
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
                "titles": [str(row.get(c.tooltip) or "") if c.tooltip else "" for c in self.columns],
                "muted": bool(self.muted_column and row.get(self.muted_column) is False),
            }
            for row in self.page.rows
        ]
        self.table.check_all_text = self.i18n.t("app.grid.check_page")
        self.table.sort = self.request.sort or ""
        self.table.descending = self.request.descending
        self.table.empty_text = self.i18n.t("common.no_rows")
        self._draw_label()
        self.previous_button.disabled = self.request.offset <= 0
        self.next_button.disabled = self.request.offset + self.request.limit >= self.page.total

    def _draw_label(self) -> None:
        """Page n of m, the rows in all, and how many are ticked."""
        text = self.i18n.t(
            "common.page", page=self.page_number, pages=self.page.page_count, total=f"{self.page.total:,}"
        )
        if self.table.checked:
            text += " · " + self.i18n.t("app.grid.checked", count=len(self.table.checked))
        self.page_label.value = text


def _export_cell(column: Column, value: object, language: str) -> object:
    """A value as the Excel export holds it: numbers stay numbers, choices and flags read as on
    screen, times in the company's zone without the zone (Excel has none)."""
    if value is None:
        return ""
    if column.choice:
        return choice_label(column.key, value, language)
    if isinstance(value, bool):
        return format_cell(value, language)
    if isinstance(value, dt.datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, (NUMBERS, dt.date)):
        return value
    return str(value)
