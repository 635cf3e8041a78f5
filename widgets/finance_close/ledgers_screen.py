"""Finance Close's Ledgers tab: the trial balance (科目余额表), the general ledger (总账) and the
subsidiary ledger (明细账) of the months and account picked, as a table with CSV and Excel downloads.
Every event is wired in :meth:`LedgersScreen._wire`; handlers are ui_actions."""

from __future__ import annotations

import base64
import datetime as dt
import html
from decimal import Decimal

import ipywidgets as w

from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.parts import button, classed
from widgets.finance_close.ledgers_model import REPORTS, LedgersModel

MAX_ROWS = 2000
"""Rows drawn on screen; the downloads hold them all."""
STYLE = """<style>
.ecerp-fc-report { overflow-x: auto; max-width: 100%; }
.ecerp-fc-report table { border-collapse: collapse; width: 100%; font-size: 13px; }
.ecerp-fc-report th, .ecerp-fc-report td { padding: 4px 10px; border-bottom: 1px solid #edf0f3; }
.ecerp-fc-report td { white-space: nowrap; }
.ecerp-fc-report th { background: #f0f4f8; text-align: center; font-weight: 600; }
.ecerp-fc-report td.num { text-align: right; font-variant-numeric: tabular-nums; }
.ecerp-fc-report tr.total td { font-weight: 600; background: #fafbfc; }
.ecerp-fc-report .ecerp-subtitle { font-weight: 600; margin: 6px 0; }
.ecerp-download { margin-right: 6px; }
.ecerp-fc-tools { gap: 8px; }
.ecerp-ledgers-panel, .ecerp-cash-panel .ecerp-card, .ecerp-month-end-panel .ecerp-card { gap: 8px; }
.ecerp-cash-panel, .ecerp-month-end-panel { gap: 14px; }
.ecerp-fc-screens { margin-bottom: 12px; }
.ecerp-fc-screens .widget-toggle-button { padding: 0 16px; height: 34px; font-size: 14px; }
</style>"""
"""The look of the Ledgers, Cash and VAT tabs (the close's own style is in :mod:`.view`)."""
NUMBER_COLUMNS = {"opening", "closing", "balance", "debit", "credit", "ytd_debit", "ytd_credit"}


class LedgersScreen:
    """The Ledgers tab; ``panel`` is what the app shows."""

    def __init__(self, model: LedgersModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self.report = classed(w.ToggleButtons(style={"button_width": "auto"}), "ecerp-ledger-report")
        i18n.bind(self.report, "options", lambda lang: [(t(f"finance.ledger.{r}", lang), r) for r in REPORTS])
        self.report.value = model.report
        self.start = classed(w.Dropdown(layout=w.Layout(width="130px")), "ecerp-ledger-start")
        self.end = classed(w.Dropdown(layout=w.Layout(width="130px")), "ecerp-ledger-end")
        self.account = classed(w.Dropdown(layout=w.Layout(width="320px")), "ecerp-ledger-account")
        self.show_button = button(
            i18n, "finance_close.ledgers.show", "ecerp-ledger-show", style="primary", width="auto"
        )
        labels = [
            i18n.bind(w.Label(), "value", key)
            for key in (
                "finance_close.ledgers.from",
                "finance_close.ledgers.to",
                "finance_close.ledgers.account",
            )
        ]
        self.account_label = labels[2]
        picks = tools_row(
            [labels[0], self.start, labels[1], self.end, labels[2], self.account, self.show_button]
        )
        self.downloads = classed(w.HTML(), "ecerp-ledger-downloads")
        self.table = classed(w.HTML(), "ecerp-fc-report")
        self.table.add_class("ecerp-ledger-table")
        title = section_title(i18n, "finance_close.ledgers")
        self.panel = classed(
            w.VBox(
                [w.HTML(STYLE), title, self.report, picks, self.downloads, self.table],
            ),
            "ecerp-card",
        )
        self.panel.add_class("ecerp-ledgers-panel")
        self._wire()

    def _wire(self) -> None:
        self.report.observe(self.choose_report, "value")
        self.show_button.on_click(self.show)
        self.i18n.on_change(lambda _lang: None if self.panel.layout.display == "none" else self.refresh())

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def refresh(self) -> None:
        """Fill the pickers (months, accounts) and draw the report again in the current language."""
        codes = self.model.period_codes()
        for picker in (self.start, self.end):
            keep = picker.value
            picker.options = codes
            picker.value = keep if keep in codes else (codes[-1] if codes else None)
        self._account_options()
        if self.model.data:
            self.model.load(self.i18n.language)  # names in the language now on screen
        self._draw()

    def _account_options(self) -> None:
        """The account picker: hidden for the trial balance, with "all" first for the general ledger."""
        hidden = self.model.report == "trial_balance"
        self.account.layout.display = self.account_label.layout.display = "none" if hidden else None
        lang = self.i18n.language
        options = self.model.account_options(lang)
        if self.model.report == "general":
            options = [(t("finance_close.ledgers.all_accounts", lang), ""), *options]
        keep = self.account.value
        self.account.options = options
        codes = [code for _, code in options]
        self.account.value = keep if keep in codes else (codes[0] if codes else None)

    @ui_action
    def choose_report(self, change=None) -> None:
        self.model.report = self.report.value
        self.model.data = None
        self._account_options()
        self._draw()

    @ui_action
    def show(self, _button=None) -> None:
        self.model.start, self.model.end = self.start.value, self.end.value
        self.model.account = self.account.value or None
        if self.model.report == "detail" and not self.model.account:
            self.alerts.info(self.i18n.t("finance_close.ledgers.pick_account"))
            return
        self.model.load(self.i18n.language)
        self._draw()

    # --- drawing --------------------------------------------------------------------------------
    def _draw(self) -> None:
        lang = self.i18n.language
        if not self.model.data:
            self.table.value = (
                f'<p class="ecerp-muted">{html.escape(t("finance_close.ledgers.hint", lang))}</p>'
            )
            self.downloads.value = ""
            return
        columns = self.model.columns()
        rows = self.model.rows(lang)
        head = "".join(f"<th>{html.escape(t('finance.ledger.col.' + c, lang))}</th>" for c in columns)
        body = "".join(
            f'<tr class="{"total" if r.get("is_total") else ""}">'
            + "".join(
                table_cell(r.get(c), c in NUMBER_COLUMNS or c.endswith(("_debit", "_credit")))
                for c in columns
            )
            + "</tr>"
            for r in rows[:MAX_ROWS]
        )
        more = len(rows) - MAX_ROWS
        note = f'<p class="ecerp-muted">{html.escape(t("finance_close.ledgers.more", lang, count=more))}</p>'
        heading = html.escape(self.model.title(lang))
        self.table.value = (
            f'<div class="ecerp-subtitle">{heading}</div><table><tr>{head}</tr>{body}</table>'
            + (note if more > 0 else "")
        )
        name = f"{self.model.report}-{self.model.start}"
        self.downloads.value = (
            download_link(self.model.csv(lang).encode("utf-8-sig"), "text/csv", f"{name}.csv", "CSV")
            + " · "
            + download_link(self.model.xlsx(lang), XLSX, f"{name}.xlsx", "Excel")
        )


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_cell(value: object, number: bool) -> str:
    if value is None:
        text = ""
    elif isinstance(value, Decimal):
        text = f"{value:,.2f}"
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = html.escape(str(value))
    return f'<td class="num">{text}</td>' if number else f"<td>{text}</td>"


def download_link(data: bytes, mime: str, name: str, label: str) -> str:
    b64 = base64.b64encode(data).decode()
    return (
        f'<a class="ecerp-download" download="{html.escape(name)}" href="data:{mime};base64,{b64}" '
        f'target="_blank">⬇ {html.escape(label)}</a>'
    )


def section_title(i18n, key: str) -> w.HTML:
    """A card's title, in the app's language."""
    return i18n.bind(
        w.HTML(), "value", lambda lang: f'<div class="ecerp-section-title">{html.escape(t(key, lang))}</div>'
    )


def hint(i18n, key: str) -> w.HTML:
    """A muted line of help, in the app's language."""
    return i18n.bind(
        w.HTML(), "value", lambda lang: f'<p class="ecerp-muted">{html.escape(t(key, lang))}</p>'
    )


def tools_row(children: list[w.Widget]) -> w.HBox:
    """Pickers and buttons on one wrapping row, spaced by the tabs' style."""
    return classed(
        w.HBox(children, layout=w.Layout(align_items="center", flex_flow="row wrap")), "ecerp-fc-tools"
    )
