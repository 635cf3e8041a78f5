"""Finance Close's Opening balances tab (期初): upload the balances file and the stock file, pick the
go-live date, see what each would post and whether they agree on inventory, import after a
confirmation; then the opening as posted. Every handler is a ui_action."""

from __future__ import annotations

import html

import ipywidgets as w

from ecerp_core.finance.opening import OpeningPreview
from ecerp_core.i18n import t
from widgets.common.actions import ui_action
from widgets.common.confirm import ConfirmBar
from widgets.common.parts import button, classed
from widgets.finance_close.ledgers_screen import hint, section_title, table_cell, tools_row
from widgets.finance_close.opening_model import KINDS, OpeningModel

ACCOUNT_COLUMNS = ("code", "name", "debit", "credit")
STOCK_COLUMNS = ("sku", "warehouse", "quantity", "unit_cost", "value")
NUMBERS = {"debit", "credit", "quantity", "unit_cost", "value"}


class OpeningScreen:
    """The Opening balances tab; ``panel`` is what the app shows."""

    def __init__(self, model: OpeningModel) -> None:
        self.model = model
        self.alerts, self.i18n = model.ctx.alerts, model.ctx.i18n
        i18n = self.i18n
        self.uploads = {
            kind: classed(w.FileUpload(accept=".csv,.xlsx", multiple=False), f"ecerp-opening-{kind}-file")
            for kind in KINDS
        }
        for kind, upload in self.uploads.items():
            i18n.bind(upload, "description", f"finance_close.opening.file.{kind}")
            upload.layout.width = "auto"
        self.day = classed(w.DatePicker(layout=w.Layout(width="160px")), "ecerp-opening-date")
        self.preview_button = button(
            i18n, "finance_close.opening.preview", "ecerp-opening-preview", width="auto"
        )
        self.import_button = button(
            i18n, "finance_close.opening.import", "ecerp-opening-import", style="primary", width="auto"
        )
        self.confirm_bar = ConfirmBar(i18n, self.alerts, "ecerp-opening-confirm")
        self.preview_html = classed(w.HTML(), "ecerp-fc-report")
        self.preview_html.add_class("ecerp-opening-preview-table")
        self.recorded_html = classed(w.HTML(), "ecerp-fc-report")
        self.recorded_html.add_class("ecerp-opening-recorded")
        date_label = i18n.bind(w.Label(), "value", "finance_close.opening.date")
        import_row = tools_row([self.import_button])
        import_row.layout.margin = "10px 0 0 0"
        self.import_card = classed(
            w.VBox(
                [
                    section_title(i18n, "finance_close.opening.title"),
                    hint(i18n, "finance_close.opening.hint"),
                    tools_row([*self.uploads.values(), date_label, self.day, self.preview_button]),
                    self.preview_html,
                    import_row,
                    self.confirm_bar.box,
                ]
            ),
            "ecerp-card",
        )
        recorded_card = classed(
            w.VBox([section_title(i18n, "finance_close.opening.recorded"), self.recorded_html]), "ecerp-card"
        )
        self.panel = classed(w.VBox([self.import_card, recorded_card]), "ecerp-opening-panel")
        self._wire()

    def _wire(self) -> None:
        self.preview_button.on_click(self.show_preview)
        self.import_button.on_click(self.ask)
        self.i18n.on_change(lambda _lang: None if self.panel.layout.display == "none" else self.refresh())

    # --- handlers -------------------------------------------------------------------------------
    @ui_action
    def refresh(self) -> None:
        """The go-live day, the preview and the opening as posted, drawn again in the current language."""
        self.day.value = self.day.value or self.model.default_day()
        if self.model.preview is not None:
            self.model.make_preview(self.day.value)
        self._draw()

    @ui_action
    def show_preview(self, _button=None) -> None:
        """Read the files chosen (each checked whole) and show what importing them would post."""
        self.confirm_bar.cancel()
        for kind, upload in self.uploads.items():
            if upload.value:
                f = upload.value[0]
                self.model.read(kind, f["name"], bytes(f["content"]))
                upload.value = ()
        if not (self.model.balances or self.model.stock):
            self.alerts.info(self.i18n.t("finance_close.opening.no_file"))
            return
        self.model.make_preview(self.day.value)
        self.alerts.clear()
        self._draw()

    @ui_action
    def ask(self, _button=None) -> None:
        """First press of Import: say what it will post, and wait for Confirm."""
        preview = self.model.preview
        if preview is None:
            self.alerts.info(self.i18n.t("finance_close.opening.preview_first"))
            return
        question = self.i18n.t(
            "finance_close.opening.confirm_question",
            date=preview.go_live.isoformat(),
            debit=_money(preview.debit) if self.model.balances else "-",
            stock=_money(preview.stock_value) if self.model.stock else "-",
        )
        self.confirm_bar.ask(question, self.post)

    @ui_action
    def post(self) -> None:
        """Import what was previewed (after Confirm)."""
        results = self.model.post(self.day.value)
        messages = [r.message(self.i18n.language) for r in results]
        self.alerts.success(" · ".join(messages))
        self._draw()

    # --- drawing --------------------------------------------------------------------------------
    def _draw(self) -> None:
        lang = self.i18n.language
        preview = self.model.preview
        self.import_button.disabled = preview is None
        self.preview_html.value = "" if preview is None else self._tables(preview, lang, self.model.files)
        recorded = self.model.recorded()
        self.recorded_html.value = (
            f'<p class="ecerp-muted">{html.escape(t("finance_close.opening.none", lang))}</p>'
            if recorded is None
            else self._tables(recorded, lang, {})
        )

    def _tables(self, found: OpeningPreview, lang: str, files: dict[str, str]) -> str:
        """The summary, the accounts with their totals and the stock lines with their value."""
        parts = [_summary(found, lang)]
        if found.accounts:
            rows = [
                {"code": a.code, "name": a.name, "debit": a.debit or None, "credit": a.credit or None}
                for a in found.accounts
            ]
            total = {
                "code": t("finance_close.opening.total", lang),
                "debit": found.debit,
                "credit": found.credit,
            }
            title = t("finance_close.opening.accounts", lang) + _file(files.get("balances"))
            parts.append(_table(title, ACCOUNT_COLUMNS, [*rows, total], lang))
        if found.stock:
            rows = [x.__dict__ for x in found.stock]
            total = {"sku": t("finance_close.opening.total", lang), "value": found.stock_value}
            title = t("finance_close.opening.stock", lang) + _file(files.get("stock"))
            parts.append(_table(title, STOCK_COLUMNS, [*rows, total], lang))
        return "".join(parts)


def _summary(found: OpeningPreview, lang: str) -> str:
    lines = [t("finance_close.opening.summary.date", lang, date=found.go_live.isoformat())]
    if found.entry_number:
        lines.append(t("finance_close.opening.summary.entry", lang, entry=found.entry_number))
    if found.accounts:
        key = "balanced" if found.balanced else "unbalanced"
        lines.append(
            t(
                f"finance_close.opening.summary.{key}",
                lang,
                debit=_money(found.debit),
                credit=_money(found.credit),
            )
        )
    if found.agrees is not None:
        key = "agrees" if found.agrees else "differs"
        lines.append(
            t(
                f"finance_close.opening.summary.{key}",
                lang,
                books=_money(found.inventory),
                stock=_money(found.stock_value),
                difference=_money(found.inventory - found.stock_value),
            )
        )
    css = "ecerp-fc-todo" if found.agrees is False or not found.balanced else "ecerp-fc-ok"
    items = "".join(f"<li>{html.escape(x)}</li>" for x in lines)
    return f'<ul class="ecerp-opening-summary {css}">{items}</ul>'


def _table(title: str, columns: tuple[str, ...], rows: list[dict], lang: str) -> str:
    head = "".join(f"<th>{html.escape(t('finance_close.opening.col.' + c, lang))}</th>" for c in columns)
    body = "".join(
        f'<tr class="{"total" if r is rows[-1] else ""}">'
        + "".join(table_cell(r.get(c), c in NUMBERS) for c in columns)
        + "</tr>"
        for r in rows
    )
    return f'<div class="ecerp-subtitle">{html.escape(title)}</div><table><tr>{head}</tr>{body}</table>'


def _file(name: str | None) -> str:
    return f" ({name})" if name else ""


def _money(value) -> str:
    return f"{value:,.2f}"
