"""Finance Close's widgets: period picker, checklist with a button per step, statement viewer
with drill-down (statement line → journal lines → entry and its source documents); the manual
vouchers in a tab of their own (:mod:`voucher_screen`)."""

from __future__ import annotations

import functools
import html
from decimal import Decimal

import ipywidgets as w

from ecerp_core.documents import DocumentName
from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.confirm import ConfirmBar
from widgets.common.document_card import CSS as DOCUMENT_CSS
from widgets.common.document_card import document_html, document_label
from widgets.common.grid import PagedGrid
from widgets.common.shell import AppShell
from widgets.finance_close.cash_model import CashModel
from widgets.finance_close.cash_screen import CashScreen
from widgets.finance_close.ledgers_model import LedgersModel
from widgets.finance_close.ledgers_screen import LedgersScreen
from widgets.finance_close.model import (
    ACCOUNT_COLUMNS,
    LINE_COLUMNS,
    STATEMENTS,
    UNMATCHED_COLUMNS,
    FinanceCloseModel,
)
from widgets.finance_close.month_end_model import MonthEndModel
from widgets.finance_close.month_end_screen import MonthEndScreen
from widgets.finance_close.opening_model import OpeningModel
from widgets.finance_close.opening_screen import OpeningScreen
from widgets.finance_close.voucher_screen import VoucherScreen

CSS = """<style>
.ecerp-fc-check { display: grid; grid-template-columns: 1fr auto auto; gap: 8px 16px; align-items: center; }
.ecerp-fc-ok { color: #1d6b36; font-weight: 600; } .ecerp-fc-todo { color: #b3261e; font-weight: 600; }
.ecerp-fc-statement table { border-collapse: collapse; width: 100%; font-size: 13px; }
.ecerp-fc-statement th, .ecerp-fc-statement td { padding: 4px 10px; border-bottom: 1px solid #edf0f3; }
.ecerp-fc-statement th { background: #f0f4f8; text-align: center; font-weight: 600; }
.ecerp-fc-statement td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.ecerp-fc-statement tr.total td { font-weight: 600; background: #fafbfc; }
.ecerp-fc-row { gap: 10px; margin: 6px 0; }
.ecerp-fc-entry table { border-collapse: collapse; font-size: 13px; margin-top: 6px; }
.ecerp-fc-entry th { background: #f5f7f9; padding: 4px 10px; font-weight: 600; text-align: left; }
.ecerp-fc-entry th.num, .ecerp-fc-entry td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ecerp-fc-entry td { padding: 3px 10px; border-bottom: 1px solid #f0f2f4; }
.ecerp-fc-entry tr.total td { font-weight: 600; }
.ecerp-fc-documents { gap: 6px; margin: 4px 0; }
.ecerp-fc-accounts, .ecerp-fc-statement { margin-top: 8px; }
</style>"""


class FinanceCloseView:
    """Finance Close's screen. Every event is wired in :meth:`_wire`; every handler is a ui_action."""

    def __init__(self, model: FinanceCloseModel) -> None:
        self.model, self.ctx = model, model.ctx
        self.alerts, self.i18n = self.ctx.alerts, self.ctx.i18n
        i18n = self.i18n
        self.period = w.Dropdown(layout=w.Layout(width="220px"))
        self.period.add_class("ecerp-fc-period")
        self.period_label = i18n.bind(w.Label(), "value", "finance_close.period")
        self.checks = w.HTML()
        self.checks.add_class("ecerp-fc-checks")
        self.revalue_button = self._button("finance_close.revalue", "ecerp-fc-revalue")
        self.write_off_button = self._button("finance_close.write_off", "ecerp-fc-write-off")
        self.close_button = self._button("finance_close.close", "ecerp-fc-close", style="primary")
        self.reopen_button = self._button("finance_close.reopen", "ecerp-fc-reopen", style="warning")
        self.refresh_button = self._button("common.refresh", "ecerp-fc-refresh")
        self.close_confirm = ConfirmBar(i18n, self.alerts, "ecerp-fc-close-confirm")
        self.unmatched = PagedGrid(
            i18n,
            self.alerts,
            model.fetch_unmatched,
            list(UNMATCHED_COLUMNS),
            key_column="id",
            muted_column=None,
            page_size=25,
        )
        self._build_drill()
        self.shell = AppShell(self.ctx, "app.finance_close.title", self._with_screens(self._layout()))
        self._wire()
        self.load_periods()

    def _build_drill(self) -> None:
        """The statement viewer and its drill-down: statement line → accounts → voucher lines →
        the voucher with a button per source document → the document."""
        i18n, model = self.i18n, self.model
        self.statement_tabs = w.ToggleButtons(style={"button_width": "auto"})
        i18n.bind(
            self.statement_tabs,
            "options",
            lambda lang: [(t(f"finance.statement.{s}", lang), s) for s in STATEMENTS],
        )
        self.statement_tabs.value = model.statement
        self.statement_tabs.add_class("ecerp-fc-statement-tabs")
        self.statement_grid = self._grid(model.fetch_statement, [], "ecerp-fc-statement", page_size=100)
        self.drill_hint = i18n.bind(w.HTML(), "value", "finance_close.drill_hint")
        self.drill_hint.add_class("ecerp-muted")
        self.accounts = self._grid(model.fetch_accounts, ACCOUNT_COLUMNS, "ecerp-fc-accounts")
        self.line_picker = w.Dropdown(layout=w.Layout(width="360px"))
        self.line_picker.add_class("ecerp-fc-line")
        self.line_label = i18n.bind(w.Label(), "value", "finance_close.drill")
        self.lines = self._grid(model.fetch_lines, LINE_COLUMNS, "ecerp-fc-lines")
        self.entry_html = w.HTML()
        self.entry_html.add_class("ecerp-fc-entry")
        self.document_buttons = w.HBox(layout=w.Layout(flex_flow="row wrap"))
        self.document_buttons.add_class("ecerp-fc-documents")
        self.document_html = w.HTML()
        self.document_html.add_class("ecerp-fc-document")

    def _grid(self, fetch, columns, css: str, page_size: int = 25) -> PagedGrid:
        """A grid of the drill-down, rows keyed by ``id``."""
        grid = PagedGrid(
            self.i18n,
            self.alerts,
            fetch,
            list(columns),
            key_column="id",
            muted_column=None,
            page_size=page_size,
        )
        grid.add_class(css)
        return grid

    def _button(self, key: str, css: str, style: str = "") -> w.Button:
        button = w.Button(button_style=style, layout=w.Layout(width="auto"))
        self.i18n.bind(button, "description", key)
        button.add_class(css)
        return button

    def _card(self, title_key: str, *children: w.Widget) -> w.VBox:
        title = self.i18n.bind(
            w.HTML(),
            "value",
            lambda lang: f'<div class="ecerp-section-title">{html.escape(t(title_key, lang))}</div>',
        )
        box = w.VBox([title, *children])
        box.add_class("ecerp-card")
        return box

    def _layout(self) -> w.Widget:
        top = _row(
            [self.period_label, self.period, self.refresh_button], layout=w.Layout(align_items="center")
        )
        actions = _row(
            [self.revalue_button, self.write_off_button, self.close_button, self.reopen_button],
            layout=w.Layout(flex_flow="row wrap"),
        )
        checklist = self._card(
            "finance_close.checklist", top, self.checks, actions, self.close_confirm.box, self.unmatched
        )
        drill = _row([self.line_label, self.line_picker], layout=w.Layout(align_items="center"))
        viewer = self._card(
            "finance_close.statements",
            self.statement_tabs,
            self.drill_hint,
            self.statement_grid,
            drill,
            self.accounts,
            self.lines,
            self.entry_html,
            self.document_buttons,
            self.document_html,
        )
        return w.VBox([w.HTML(CSS + DOCUMENT_CSS), checklist, viewer])

    def _with_screens(self, close: w.Widget) -> w.Widget:
        """The close, and the Vouchers, Ledgers, Cash, VAT and Opening tabs (:mod:`.voucher_screen`,
        :mod:`.ledgers_screen`, :mod:`.cash_screen`, :mod:`.month_end_screen`, :mod:`.opening_screen`:
        only for those who may post)."""
        self.vouchers = VoucherScreen(self.ctx)
        self.ledgers = LedgersScreen(LedgersModel(self.ctx))
        self.cash = CashScreen(CashModel(self.ctx))
        self.month_end = MonthEndScreen(MonthEndModel(self.ctx))
        self.screens = {
            "close": close,
            "vouchers": self.vouchers,
            "ledgers": self.ledgers,
            "cash": self.cash,
            "month_end": self.month_end,
        }
        if self.ctx.actor.can("finance.post"):
            self.opening = self.screens["opening"] = OpeningScreen(OpeningModel(self.ctx))
        self.screen_tabs = w.ToggleButtons(style={"button_width": "auto"})
        self.screen_tabs.add_class("ecerp-fc-screens")
        self.i18n.bind(
            self.screen_tabs,
            "options",
            lambda lang: [(t(f"finance_close.screen.{s}", lang), s) for s in self.screens],
        )
        self.screen_tabs.value = "close"
        self.screen_tabs.observe(self.choose_screen, "value")
        others = [screen.panel for name, screen in self.screens.items() if name != "close"]
        for panel in others:
            panel.layout.display = "none"
        return w.VBox([self.screen_tabs, close, *others])

    @ui_action
    def choose_screen(self, change=None) -> None:
        self.alerts.clear()
        for name, screen in self.screens.items():
            panel = screen if name == "close" else screen.panel
            panel.layout.display = None if name == self.screen_tabs.value else "none"
        if self.screen_tabs.value != "close":
            self.screens[self.screen_tabs.value].refresh()

    def _wire(self) -> None:
        self.period.observe(self.choose_period, "value")
        self.refresh_button.on_click(self.refresh)
        self.revalue_button.on_click(self.run_revaluation)
        self.write_off_button.on_click(self.write_off)
        self.close_button.on_click(self.ask_close)
        self.reopen_button.on_click(self.reopen_period)
        self.statement_tabs.observe(self.choose_statement, "value")
        self.line_picker.observe(self.choose_line, "value")
        self.statement_grid.on_open(self.open_statement_line)
        self.accounts.on_open(self.open_account)
        self.lines.on_open(self.open_line)
        self.i18n.on_change(lambda _lang: self._relabel())

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def load_periods(self) -> None:
        self._period_options()
        self._redraw()

    def _period_options(self) -> None:
        options = self.model.period_options()
        current = self.model.period or self.model.default_period()
        self.period.unobserve(self.choose_period, "value")
        self.period.options = [
            (f"{code}  ·  {t('status.period.' + status, self.i18n.language)}", code)
            for code, status in options
        ]
        if current:
            self.period.value = current
            self.model.period = current
        self.period.observe(self.choose_period, "value")

    @ui_action
    def _relabel(self) -> None:
        self._period_options()
        self._redraw()

    @ui_action
    def choose_period(self, change=None) -> None:
        self.close_confirm.cancel()
        self.model.period = self.period.value
        self.alerts.clear()
        self._redraw()

    @ui_action
    def refresh(self, _button=None) -> None:
        self.load_periods()

    @ui_action
    def run_revaluation(self, button=None) -> None:
        numbers = self.model.revalue()
        self.alerts.success(
            self.i18n.t("finance_close.revalued", entries=" / ".join(numbers) if numbers else "-")
        )
        self._redraw()

    @ui_action
    def write_off(self, button=None) -> None:
        count = self.model.write_off_unmatched()
        self.alerts.success(self.i18n.t("finance_close.written_off", count=count))
        self._redraw()

    @ui_action
    def ask_close(self, _button=None) -> None:
        """First press of 结账: the period's revenue and the profit it carries, then Confirm."""
        report = self.model.load_statements()
        income = report["income_statement"] if report else {"revenue": 0, "net_profit": 0}
        question = self.i18n.t(
            "finance_close.confirm_close",
            period=self.model.period,
            revenue=_money(income["revenue"]),
            profit=_money(income["net_profit"]),
        )
        self.close_confirm.ask(question, self.close_period)

    @ui_action
    def close_period(self, button=None) -> None:
        result = self.model.close()
        self.alerts.success(
            self.i18n.t("finance.cli.closed", period=result.period, entry=result.closing_entry or "-")
        )
        self.load_periods()

    @ui_action
    def reopen_period(self, button=None) -> None:
        self.model.reopen(reason="Finance Close")
        self.alerts.success(self.i18n.t("finance.cli.reopened", period=self.model.period))
        self.load_periods()

    @ui_action
    def choose_statement(self, change=None) -> None:
        self.model.statement = self.statement_tabs.value
        self.model.line_key = None
        self._draw_statement()

    @ui_action
    def open_statement_line(self, key: str) -> None:
        """A statement line clicked: its accounts (the same as picking it in the drill box)."""
        if key in {k for _, k in self.line_picker.options}:
            self.line_picker.value = key  # choose_line follows
        else:
            self.statement_grid.select(None)

    @ui_action
    def choose_line(self, change=None) -> None:
        self.model.line_key = self.line_picker.value
        self.model.account_code = None
        self.statement_grid.select(self.model.line_key)
        self._clear_entry()
        self.accounts.refresh(reset=True)
        self.lines.refresh(reset=True)

    @ui_action
    def open_account(self, code: str) -> None:
        """An account clicked: the vouchers' lines on it in the period."""
        self.model.account_code = code
        self._clear_entry()
        self.lines.refresh(reset=True)

    @ui_action
    def open_line(self, line_id: str) -> None:
        """A journal line clicked: its voucher, and a button per source document."""
        entry = self.model.entry(self.model.entry_id_of(line_id))
        self.entry_html.value = self._entry_html(entry)
        self.document_html.value = ""
        lang = self.i18n.language
        buttons = []
        for d in entry["described"]:
            if d["type"] in ("manual", "batch") or not d["number"]:
                continue
            label = document_label(
                d["type"], DocumentName(d["type"], d["id"], d["number"], d["platform"]), "", lang
            )
            b = w.Button(description=label, icon="file-text-o", layout=w.Layout(width="auto"), tooltip=label)
            b.add_class("ecerp-fc-doc")
            b.on_click(functools.partial(self.open_document, d["type"], d["id"]))
            buttons.append(b)
        more = len(entry["documents"]) - len(entry["described"])
        if more > 0:
            buttons.append(w.HTML(html.escape(t("finance_close.more_documents", lang, count=more))))
        self.document_buttons.children = buttons

    @ui_action
    def open_document(self, kind: str, doc_id: int, _button=None) -> None:
        """A source document clicked: its card with its lines."""
        doc = self.model.document(kind, doc_id)
        self.document_html.value = document_html(doc, self.i18n.language) if doc else ""

    def _clear_entry(self) -> None:
        self.entry_html.value = ""
        self.document_buttons.children = []
        self.document_html.value = ""

    # --- drawing --------------------------------------------------------------------------------
    def _redraw(self) -> None:
        self._draw_checks()
        self.unmatched.refresh(reset=True)
        self.model.load_statements()
        self._draw_statement()

    def _draw_checks(self) -> None:
        c = self.model.checklist()
        lang = self.i18n.language
        if c is None:
            self.checks.value = (
                f'<p class="ecerp-muted">{html.escape(t("finance_close.no_periods", lang))}</p>'
            )
            return
        rows = [
            ("finance_close.check.unposted", c.unposted, c.unposted == 0),
            ("finance_close.check.unmatched", c.unmatched, c.unmatched == 0),
            (
                "finance_close.check.revaluation",
                t("finance_close.due" if c.revaluation_due else "finance_close.done", lang),
                not c.revaluation_due,
            ),
            ("finance_close.check.unbalanced", c.unbalanced, c.unbalanced == 0),
        ]
        cells = "".join(
            f"<div>{html.escape(t(key, lang))}</div><div>{html.escape(str(value))}</div>"
            f'<div class="{"ecerp-fc-ok" if ok else "ecerp-fc-todo"}">{"✓" if ok else "✗"}</div>'
            for key, value, ok in rows
        )
        status = t(f"status.period.{c.status}", lang)
        head = f"<p>{html.escape(t('finance_close.status', lang, period=c.period, status=status))}</p>"
        self.checks.value = f'{head}<div class="ecerp-fc-check">{cells}</div>'
        can = self.ctx.actor.can
        self.close_button.disabled = not c.ready or not can("finance.close")
        self.revalue_button.disabled = c.status != "open" or not c.revaluation_due or not can("finance.post")
        self.write_off_button.disabled = c.unmatched == 0 or not can("finance.post")
        self.unmatched.layout.display = None if c.unmatched else "none"
        self.reopen_button.disabled = c.status == "open" or not self.ctx.actor.can("finance.reopen")

    def _draw_statement(self) -> None:
        lang = self.i18n.language
        report = self.model.report
        self._clear_entry()
        if not report:
            self.statement_grid.set_columns([])
            self.statement_grid.refresh(reset=True)
            self.line_picker.options = []
            return
        self.statement_grid.set_columns(self.model.statement_columns())
        self.statement_grid.refresh(reset=True)
        options = [
            (t(_label_key(self.model.statement, x["key"]), lang), x["key"]) for x in self.model.drillable()
        ]
        self.line_picker.unobserve(self.choose_line, "value")
        self.line_picker.options = options
        self.line_picker.value = (
            self.model.line_key if self.model.line_key in {k for _, k in options} else None
        )
        self.line_picker.observe(self.choose_line, "value")
        self.statement_grid.select(self.line_picker.value)
        self.accounts.refresh(reset=True)
        self.lines.refresh(reset=True)

    def _entry_html(self, entry: dict) -> str:
        """The voucher: its lines under 科目 / 借方 / 贷方 headers, with a total row."""
        lang = self.i18n.language
        head = "".join(
            f'<th class="{css}">{html.escape(t(key, lang))}</th>'
            for key, css in (
                ("finance_close.col.account", ""),
                ("finance_close.col.account_name", ""),
                ("finance_close.col.debit", "num"),
                ("finance_close.col.credit", "num"),
            )
        )
        lines = "".join(
            f"<tr><td>{x['code']}</td>"
            f"<td>{html.escape(x['name_zh'] if lang == 'zh_CN' else (x['name_en'] or x['name_zh']))}</td>"
            f'<td class="num">{_money(x["debit"])}</td><td class="num">{_money(x["credit"])}</td></tr>'
            for x in entry["lines"]
        )
        debit = sum((x["debit"] for x in entry["lines"]), Decimal(0))
        credit = sum((x["credit"] for x in entry["lines"]), Decimal(0))
        total = (
            f'<tr class="total"><td></td><td>{html.escape(t("finance_close.total", lang))}</td>'
            f'<td class="num">{_money(debit)}</td><td class="num">{_money(credit)}</td></tr>'
        )
        title = t(
            "finance_close.entry", lang, number=entry["entry_number"], date=entry["date"], memo=entry["memo"]
        )
        documents = html.escape(t("finance_close.documents", lang))
        return (
            f'<div class="ecerp-section-title">{html.escape(title)}</div>'
            f"<table><tr>{head}</tr>{lines}{total}</table>"
            f'<div class="ecerp-muted">{documents}</div>'
        )


def _money(value) -> str:
    return "" if value is None else f"{value:,.2f}"


def _row(children, layout=None) -> w.HBox:
    box = w.HBox(children, layout=layout)
    box.add_class("ecerp-fc-row")
    return box


def _label_key(statement: str, key: str) -> str:
    section = {"balance_sheet": "bs", "income_statement": "is", "cash_flow": "cf"}[statement]
    return f"finance.{section}.{key}"
